/**
 * Progress of a training: on a terminal, one cli-progress bar per epoch with live loss, accuracy and steps/s that
 * stays on screen when the epoch ends (with the test accuracy added); elsewhere (logs, CI, pipes) one plain line
 * per epoch.
 */
import cliProgress from 'cli-progress';
import type { EpochRecord, WorkerEvent } from './train-types.js';

const f4 = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : '—');
const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '—');

export class EpochProgress {
  #bar: cliProgress.SingleBar | null = null;
  #epochStart = 0;
  #current = 0;
  #stepsPerEpoch = 1;
  readonly #tty: boolean;

  constructor(
    private readonly epochs: number,
    private readonly stream: NodeJS.WriteStream,
    private readonly quiet: boolean,
    /** A label before each line, e.g. `aglu s1` in compare. */
    private readonly label = '',
  ) {
    this.#tty = stream.isTTY === true && !quiet;
  }

  #width(): number {
    return String(this.epochs).length;
  }

  #open(epoch: number): void {
    this.#bar?.stop();
    this.#current = epoch;
    this.#epochStart = performance.now();
    if (!this.#tty) return;
    const ep = String(epoch).padStart(this.#width());
    this.#bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${this.label}epoch ${ep}/${this.epochs} {bar} {value}/{total} · loss {loss} · acc {acc} · {rate} steps/s{test}`,
        barsize: 22,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        fps: 12,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(this.#stepsPerEpoch, 0, { loss: '—', acc: '—', rate: '—', test: '' });
  }

  /** Feeds one worker event to the display. */
  onEvent(e: WorkerEvent): void {
    if (e.type === 'start') {
      this.#stepsPerEpoch = e.stepsPerEpoch;
      this.#open(1);
    } else if (e.type === 'step') {
      if (e.epoch !== this.#current) this.#open(e.epoch);
      const secs = (performance.now() - this.#epochStart) / 1000;
      this.#bar?.update(e.batch, { loss: f4(e.loss), acc: pct(e.accuracy), rate: secs > 0 ? Math.round(e.batch / secs).toString() : '—', test: '' });
    } else if (e.type === 'epoch') this.#finishEpoch(e.record);
  }

  #finishEpoch(r: EpochRecord): void {
    const rate = r.seconds > 0 ? Math.round(r.steps / r.seconds).toString() : '—';
    const test = ` · test loss ${f4(r.testLoss)} · test acc ${pct(r.testAccuracy)}`;
    if (this.#bar) {
      this.#bar.update(r.steps, { loss: f4(r.loss), acc: pct(r.trainAccuracy), rate, test });
      this.#bar.stop();
      this.#bar = null;
    } else if (!this.quiet) {
      const ep = String(r.epoch).padStart(this.#width());
      this.stream.write(`${this.label}epoch ${ep}/${this.epochs} · loss ${f4(r.loss)} · acc ${pct(r.trainAccuracy)}${test} · ${rate} steps/s · ${r.seconds.toFixed(2)} s\n`);
    }
    if (r.epoch < this.epochs) this.#open(r.epoch + 1);
  }

  /** A message on its own line (the bar, if any, is closed first). */
  note(message: string): void {
    this.#bar?.stop();
    this.#bar = null;
    this.stream.write(`${this.#tty ? '\n' : ''}${message}\n`);
  }

  close(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}
