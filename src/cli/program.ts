/**
 * The `aglu` command line: subcommands, their options and help. The commands themselves live in their own files
 * and are imported only when run, so `aglu --help` stays quick and does not load vega or the training code.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  ACT_PARAMS, ACTIVATIONS, backendSpec, BACKEND_SPECS, choice, choiceList, DATASETS, EXIT, integer, integerList,
  LOSSES, number, OPTIMIZERS, SCHEDULES, UsageError,
} from './usage.js';
import { packageVersion } from './versions.js';
import type { TrainCliOptions } from './train.js';
import type { CompareCliOptions } from './compare.js';
import type { GradcheckCliOptions } from './gradcheck.js';
import type { BenchOptions } from './bench.js';
import type { InfoOptions } from './info.js';
import type { Figure, PlotOptions } from './plot.js';


/** Where the CLI writes: streams injectable for tests of the help text. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const ROOT_EXAMPLES = `
Examples:
  $ aglu train                                   AGLU MLP on two moons (the npm start default)
  $ aglu train --dataset spirals --act aglu --hidden 64,64 --epochs 60 --out runs/spirals
  $ aglu train --dataset mnist --imbalance 100 --act aglu --act-params channel
  $ aglu compare --acts relu,gelu,silu,aglu --seeds 3 --dataset circles
  $ aglu gradcheck --op all                      gradients of apa/aglu/losses vs finite differences
  $ aglu plot family --png                       the APA/AGLU family (the paper's Figure 1)
  $ aglu info                                    version, backends, what 'auto' picks

Backends: --backend js | gpujs | gpujs:<auto|cpu|webasm|headlessgl>  (or the AGLU_BACKEND variable)
Exit codes: 0 done · 1 failed (e.g. gradcheck found a wrong gradient) · 2 bad usage · 130/143 interrupted
Docs: docs/cli.md`;

/** Options that `train` and `compare` share; `kind` adds --act (train) or --acts and --seeds (compare). */
function addTrainingOptions(cmd: Command, kind: 'train' | 'compare'): Command {
  cmd
    .option('-d, --dataset <name>', `dataset: ${DATASETS.join(', ')}`, choice('dataset', DATASETS), 'moons')
    .option('--samples <n>', 'samples of the 2-D datasets (default 1000); for mnist, a cap on the 8000 training digits', integer(20, 1_000_000))
    .option('--noise <sigma>', 'noise of the 2-D datasets (blobs: the cluster std)', number({ min: 0, max: 10 }))
    .option('--imbalance <rho>', 'long-tailed train split: head/tail class size ratio ρ ≥ 1 (test stays balanced)', number({ min: 1, max: 1e6 }));
  if (kind === 'train')
    cmd.option('-a, --act <name>', `hidden activation: ${ACTIVATIONS.join(', ')}`, choice('activation', ACTIVATIONS), 'aglu');
  else
    cmd
      .option('--acts <list>', `activations to compare, comma-separated: ${ACTIVATIONS.join(', ')}`, choiceList('activation', ACTIVATIONS), ['relu', 'gelu', 'silu', 'aglu'])
      .option('--seeds <n>', 'seeds per activation (seed, seed+1, …)', integer(1, 1000), 3);
  cmd
    .option('--act-params <kind>', `λ, κ of apa/aglu: ${ACT_PARAMS.join(' (one pair per layer) | ')} (one pair per unit)`, choice('act-params value', ACT_PARAMS), 'scalar')
    .option('--hidden <widths>', 'hidden layer widths, comma-separated', integerList(1, 100_000), [32, 32])
    .option('-e, --epochs <n>', 'training epochs', integer(1, 100_000), 30)
    .option('-b, --batch-size <n>', 'mini-batch size', integer(1, 1_000_000), 64)
    .option('--lr <rate>', 'learning rate', number({ min: 0, max: 100, exclusiveMin: true }), 0.01)
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, choice('optimizer', OPTIMIZERS), 'adamw')
    .option('--weight-decay <w>', 'weight decay (λ, κ are never decayed)', number({ min: 0, max: 10 }), 1e-4)
    .option('--schedule <name>', `learning-rate schedule: ${SCHEDULES.join(', ')}`, choice('schedule', SCHEDULES), 'cosine')
    .option('--loss <name>', `loss: ${LOSSES.join(', ')} (apa-bce/gumbel-bce: one-vs-all BCE with the APA/Gumbel link)`, choice('loss', LOSSES), 'ce')
    .option('-s, --seed <n>', kind === 'train' ? 'random seed (same seed + backend = same run)' : 'first seed; also the seed of the data, which every run shares', integer(0, 2 ** 31 - 1), 0);
  if (kind === 'train') cmd.option('--data-seed <n>', 'seed of the data (generation, split, long tail); default: --seed', integer(0, 2 ** 31 - 1));
  return cmd
    .option('--backend <spec>', `backend: ${BACKEND_SPECS.join(', ')} (default: AGLU_BACKEND or the library default)`, backendSpec)
    .option('-o, --out <dir>', kind === 'train' ? 'run folder (default runs/<time>-<dataset>-<act>)' : 'folder for the comparison (default runs/<time>-compare-<dataset>)')
    .option('-f, --force', 'overwrite an existing run folder', false)
    .option('--png', 'also write PNG copies of the plots', false)
    .option('-q, --quiet', 'no progress bar, only the summary', false);
}

/**
 * Builds the `aglu` program. Commander never prints errors or exits by itself: every mistake reaches
 * `runCli` as an exception, which prints one line and the usage hint.
 */
export function buildProgram(io: CliIo, result: { code: number } = { code: 0 }): Command {
  const program = new Command('aglu');
  const configure = (cmd: Command): Command =>
    cmd
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined })
      .showSuggestionAfterError(true)
      .allowExcessArguments(false);

  configure(program)
    .description('aglu — train and study networks with the Adaptive Parametric Activation (APA/AGLU) on GPU.js')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (every command has its own: aglu train --help)')
    .addHelpText('after', ROOT_EXAMPLES);

  const train = configure(program.command('train'))
    .description('train an MLP and write a run folder (metrics, history, checkpoint, report, plots)');
  addTrainingOptions(train, 'train')
    .addHelpText('after', `
The run folder gets: metrics.json (config, history, final metrics, backend, versions), history.csv,
model.safetensors, report.md and SVG plots (loss/accuracy, λ/κ trajectories, learned activations,
decision boundary for 2-D data). Ctrl-C stops after the current step and keeps the last finished epoch.

Examples:
  $ aglu train
  $ aglu train --dataset spirals --hidden 64,64 --epochs 80 --lr 0.02 --out runs/spirals
  $ aglu train --dataset iris --act relu --optimizer sgd --lr 0.1 --schedule step
  $ aglu train --dataset mnist --imbalance 50 --act aglu --act-params channel --epochs 5 --backend gpujs:cpu`)
    .action(async (_opts: unknown, cmd: Command) => {
      const { runTrain } = await import('./train.js');
      result.code = await runTrain(cmd.opts<TrainCliOptions>(), io);
    });

  const compare = configure(program.command('compare'))
    .description('train the same network with several activations and seeds; table of mean ± std accuracy');
  addTrainingOptions(compare, 'compare')
    .addHelpText('after', `
Writes compare.md, compare.json and compare.svg (test accuracy per activation, mean ± std) into --out,
and one sub-folder per activation and seed with that run's metrics.

Examples:
  $ aglu compare --acts relu,gelu,silu,aglu --seeds 3 --dataset circles --epochs 20
  $ aglu compare --dataset mnist --imbalance 100 --acts relu,aglu --seeds 2 --epochs 3 --out runs/lt`)
    .action(async (_opts: unknown, cmd: Command) => {
      const { runCompare } = await import('./compare.js');
      result.code = await runCompare(cmd.opts<CompareCliOptions>(), io);
    });

  configure(program.command('gradcheck'))
    .description('check the gradients of the fused APA/AGLU ops and losses against finite differences')
    .option('--op <name>', 'op to check: apa, aglu, apa-bce, gumbel-bce, all', choice('op', ['apa', 'aglu', 'apa-bce', 'gumbel-bce', 'all'] as const), 'all')
    .option('--backend <spec>', `backend whose gradients are checked: ${BACKEND_SPECS.join(', ')} (default js)`, backendSpec)
    .option('--json <file>', 'also write the results as JSON')
    .addHelpText('after', `
On js, gradients are compared in float64 with central differences (torch.autograd.gradcheck rules)
on a grid that includes the extreme region (|κz| up to 40, λ down to its floor). On gpujs, its float32
gradients are compared with the js float64 ones. Exit code 1 when any check fails.

Examples:
  $ aglu gradcheck
  $ aglu gradcheck --op aglu --backend gpujs:cpu`)
    .action(async (_opts: unknown, cmd: Command) => {
      const { runGradcheck } = await import('./gradcheck.js');
      result.code = await runGradcheck(cmd.opts<GradcheckCliOptions>(), io);
    });

  configure(program.command('plot'))
    .description("draw the paper's figures (family, derivatives) or redraw a run's plots (model RUN_DIR)")
    .argument('<figure>', 'family | derivatives | model', choice('figure', ['family', 'derivatives', 'model'] as const))
    .argument('[runDir]', 'for model: the run folder written by aglu train')
    .option('-o, --out <dir>', 'folder to write into (default: current folder; for model: the run folder)')
    .option('--png', 'also write PNG copies', false)
    .addHelpText('after', `
family       APA for λ ∈ {0.25, 0.5, 1, 2, 4} with κ = 1 and for κ ∈ {0.5, 1, 2, 4} with λ = 1
             (sigmoid at λ = 1, Gumbel as λ → 0 marked), and AGLU next to ReLU, SiLU, GELU (Figure 1)
derivatives  ∂AGLU/∂κ, ∂AGLU/∂λ, ∂AGLU/∂z for several λ (Figure 2), from aglu's own backward
model        the learned activations of a run next to ReLU/SiLU/GELU

Examples:
  $ aglu plot family --png
  $ aglu plot derivatives --out figures
  $ aglu plot model runs/spirals`)
    .action(async (figure: string, runDir: string | undefined, _opts: unknown, cmd: Command) => {
      const { runPlot } = await import('./plot.js');
      result.code = await runPlot(figure as Figure, runDir, cmd.opts<PlotOptions>(), io);
    });

  configure(program.command('bench'))
    .description('short benchmark of the fused APA/AGLU op and of one training step on each available backend')
    .option('--backend <spec>', `only this backend: ${BACKEND_SPECS.join(', ')}`, backendSpec)
    .option('--size <n>', 'elements of the fused-op benchmark', integer(1, 50_000_000), 1_000_000)
    .option('--time <seconds>', 'time budget per measurement', number({ min: 0.05, max: 60 }), 0.5)
    .option('--json <file>', 'also write the results as JSON')
    .addHelpText('after', `
Examples:
  $ aglu bench
  $ aglu bench --backend gpujs:webasm --size 100000`)
    .action(async (_opts: unknown, cmd: Command) => {
      const { runBench } = await import('./bench.js');
      result.code = await runBench(cmd.opts<BenchOptions>(), io);
    });

  configure(program.command('info'))
    .description("version, backends and modes available here, and which one 'auto' picks and why")
    .option('--json', 'print as JSON', false)
    .addHelpText('after', `
Examples:
  $ aglu info
  $ AGLU_BACKEND=gpujs:cpu aglu info --json`)
    .action(async (_opts: unknown, cmd: Command) => {
      const { runInfo } = await import('./info.js');
      result.code = await runInfo(cmd.opts<InfoOptions>(), io);
    });

  return program;
}

/** The path of a command for messages: `aglu train`. */
function commandPath(cmd: Command | undefined): string {
  const names: string[] = [];
  for (let c: Command | null | undefined = cmd; c; c = c.parent) names.unshift(c.name());
  return names.length === 0 ? 'aglu' : names.join(' ');
}

/** Long option names of a command, for "accepted: …". */
function optionNames(cmd: Command): string {
  return cmd.options.map((o: Option) => o.long ?? o.short ?? '').filter((s) => s !== '').join(', ');
}

/** The command whose parsing failed: the subcommand named on the command line, if any. */
function failingCommand(program: Command, argv: readonly string[]): Command {
  const name = argv.find((a) => !a.startsWith('-'));
  return program.commands.find((c) => c.name() === name || c.aliases().includes(name ?? '')) ?? program;
}

/** One line for a commander parse error: what was wrong and what is accepted. */
function describe(err: CommanderError, cmd: Command, program: Command): string {
  const first = err.message.replace(/^error: /, '');
  const [line, ...rest] = first.split('\n');
  const suggestion = rest.join(' ').match(/\(Did you mean (.*)\?\)/);
  const hint = suggestion ? ` (did you mean ${suggestion[1]}?)` : '';
  switch (err.code) {
    case 'commander.unknownCommand':
      return `${line}${hint}; commands: ${program.commands.map((c) => c.name()).join(', ')}`;
    case 'commander.unknownOption':
      return `${line}${hint}; options of ${commandPath(cmd)}: ${optionNames(cmd)}`;
    case 'commander.optionMissingArgument': {
      const m = line.match(/^option '(.+?)' argument missing$/);
      const opt = m ? cmd.options.find((o: Option) => o.flags === m[1]) : undefined;
      return opt ? `${opt.long ?? opt.flags} needs a value (${opt.description})` : line;
    }
    case 'commander.invalidArgument': {
      // commander: "option '-d, --dataset <name>' argument 'foo' is invalid. <our parser's message>"
      const o = line.match(/^option '(.+?)' argument '.*' is invalid\. (.*)$/s);
      if (o) return `${cmd.options.find((x: Option) => x.flags === o[1])?.long ?? o[1]}: ${o[2]}`;
      const a = line.match(/^command-argument value '.*' is invalid for argument '(.+?)'\. (.*)$/s);
      return a ? `<${a[1]}>: ${a[2]}` : line;
    }
    case 'commander.missingArgument':
      return `${line}; see the arguments in ${commandPath(cmd)} --help`;
    default:
      return line;
  }
}

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit code. Mistakes print one line and the
 * usage hint (exit 2); failures of the library print one line (exit 1); AGLU_DEBUG=1 adds the stack trace.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const result = { code: EXIT.ok as number };
  const program = buildProgram(io, result);
  if (argv.length === 0) {
    io.err(program.helpInformation());
    io.err(`\naglu: missing command; choose one of ${program.commands.map((c) => c.name()).join(', ')}\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      const cmd = failingCommand(program, argv);
      if (e.code === 'commander.help') return EXIT.usage;
      const path = e.code === 'commander.unknownCommand' ? 'aglu' : commandPath(cmd);
      io.err(`${path}: ${describe(e, cmd, program)}\n`);
      io.err(`${usageHint(cmd, path)}\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      const cmd = e.command ? program.commands.find((c) => c.name() === e.command) ?? program : program;
      const path = commandPath(cmd);
      io.err(`${path}: ${e.message}\n`);
      io.err(`${usageHint(cmd, path)}\n`);
      return EXIT.usage;
    }
    const cmd = failingCommand(program, argv);
    const message = e instanceof Error ? `${e.name === 'Error' ? '' : e.name + ': '}${e.message}` : String(e);
    io.err(`${commandPath(cmd)}: ${message.split('\n')[0]}\n`);
    if (process.env.AGLU_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    else io.err('(set AGLU_DEBUG=1 to see where it happened)\n');
    return EXIT.failure;
  }
}

function usageHint(cmd: Command, path: string): string {
  return `Usage: ${path} ${cmd.usage()} — run '${path} --help' for the options and examples.`;
}
