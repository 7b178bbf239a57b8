import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '../src/backend/current.js';
import { CheckpointError, load, loadSync, readMetadata, save, saveSync } from '../src/checkpoint.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { nn } from '../src/index.js';
import { manualSeed } from '../src/random.js';
import { tensor, Tensor } from '../src/tensor.js';

const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());
const values = (m: nn.Module): Record<string, number[]> => Object.fromEntries(m.namedParameters().map(([n, p]) => [n, flat(p)]));

/** Parses a safetensors file independently of aglu's reader: header JSON and the data section. */
function parseSafetensors(bytes: Buffer): { headerLen: number; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Buffer; raw: string } {
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const raw = bytes.subarray(8, 8 + headerLen).toString('utf8');
  return { headerLen, header: JSON.parse(raw), data: bytes.subarray(8 + headerLen), raw };
}

/** Builds a safetensors file by hand, as another library would write it. */
function handMade(tensors: [string, 'F32' | 'F64', number[], number[]][], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const chunks: Buffer[] = [];
  let off = 0;
  for (const [name, dtype, shape, vals] of tensors) {
    const b = Buffer.alloc(vals.length * (dtype === 'F32' ? 4 : 8));
    vals.forEach((v, i) => (dtype === 'F32' ? b.writeFloatLE(v, i * 4) : b.writeDoubleLE(v, i * 8)));
    header[name] = { dtype, shape, data_offsets: [off, off + b.length] };
    off += b.length;
    chunks.push(b);
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, ...chunks]);
}

describe('checkpoint', () => {
  let dir: string;
  before(() => {
    setBackend('js');
    dir = mkdtempSync(join(tmpdir(), 'aglu-ckpt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => manualSeed(11));

  describe('safetensors', () => {
    it('writes the public layout with PyTorch-style names (lambda → lambda_param)', async () => {
      const model = nn.mlp([2, 3, 2], { activation: 'aglu' });
      const path = join(dir, 'layout.safetensors');
      await save(model, path, { metadata: { epochs: '5' } });
      const bytes = readFileSync(path);
      const { headerLen, header, data, raw } = parseSafetensors(bytes);
      expect(headerLen % 8).to.equal(0);
      expect(raw.slice(raw.lastIndexOf('}') + 1)).to.match(/^ {0,7}$/); // padded with spaces to a multiple of 8
      expect(Object.keys(header)).to.deep.equal(['__metadata__', '0.weight', '0.bias', '1.lambda_param', '1.kappa_param', '2.weight', '2.bias']);
      expect(header.__metadata__).to.deep.equal({ epochs: '5' });
      expect(header['0.weight']).to.deep.equal({ dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] });
      expect(header['1.lambda_param'].shape).to.deep.equal([1]);
      const [b, e] = header['2.weight'].data_offsets;
      const w2 = Array.from({ length: (e - b) / 4 }, (_, i) => data.readFloatLE(b + i * 4));
      expect(w2).to.deep.equal(flat(model.parameters()[4]));
      expect(data.length).to.equal(header['2.bias'].data_offsets[1]);
    });

    it('round-trips exactly (float32 and float64) and keeps parameter identity', async () => {
      for (const dtype of ['float32', 'float64'] as const) {
        const a = nn.mlp([3, 4, 2], { activation: 'aglu', dtype, apa: { perChannel: true } });
        const b = nn.mlp([3, 4, 2], { activation: 'aglu', dtype, apa: { perChannel: true } });
        const path = join(dir, `rt-${dtype}.safetensors`);
        await save(a, path);
        const w = b.parameters()[0];
        expect(await load(b, path)).to.equal(b);
        expect(values(b)).to.deep.equal(values(a));
        expect(b.parameters()[0]).to.equal(w);
        const sd = await load(path);
        expect(Object.keys(sd)).to.deep.equal(a.namedParameters().map(([n]) => n));
        expect(sd['1.lambda'].dtype).to.equal(dtype);
        expect(flat(sd['1.kappa'])).to.deep.equal(values(a)['1.kappa']);
      }
    });

    it('reads a file written by other tools (F64 into a float32 model, seed names)', () => {
      const model = nn.mlp([1, 2, 1], { activation: 'apa' });
      const path = join(dir, 'foreign.safetensors');
      writeFileSync(path, handMade([
        ['0.weight', 'F64', [2, 1], [0.25, -0.5]], ['0.bias', 'F64', [2], [1, 2]],
        ['1.lambda_param', 'F32', [1], [0.75]], ['1.kappa_param', 'F32', [1], [1.5]],
        ['2.weight', 'F64', [1, 2], [3, 4]], ['2.bias', 'F64', [1], [-1]],
      ], { format: 'pt' }));
      loadSync(model, path);
      expect(values(model)).to.deep.equal({ '0.weight': [0.25, -0.5], '0.bias': [1, 2], '1.lambda': [0.75], '1.kappa': [1.5], '2.weight': [3, 4], '2.bias': [-1] });
      expect(readMetadata(path)).to.deep.equal({ format: 'pt' });
    });

    it('a truncated file gives a clear error and leaves the model untouched', async () => {
      const src = nn.mlp([2, 3, 2], { activation: 'aglu' });
      const full = join(dir, 'full.safetensors');
      await save(src, full);
      const bytes = readFileSync(full);
      const model = nn.mlp([2, 3, 2], { activation: 'aglu' });
      const before = values(model);
      const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
      const cuts: [number, RegExp][] = [
        [5, /truncated: it has 5 bytes, fewer than the 8-byte header length/],
        [headerEnd - 10, /truncated: the header says \d+ bytes of JSON, but only \d+ bytes follow/],
        [bytes.length - 3, /truncated: tensor '2\.bias' needs bytes \d+\.\.\d+ of the data section, which has only \d+ bytes/],
      ];
      for (const [cut, why] of cuts) {
        const path = join(dir, `cut-${cut}.safetensors`);
        writeFileSync(path, bytes.subarray(0, cut));
        let err: unknown;
        try {
          await load(model, path);
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(CheckpointError);
        expect((err as Error).message).to.match(why);
        expect((err as Error).message).to.contain(path);
        expect(values(model)).to.deep.equal(before);
      }
    });

    it('corrupt headers, bad offsets and unsupported dtypes are named', () => {
      const path = join(dir, 'bad.safetensors');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(4n);
      writeFileSync(path, Buffer.concat([len, Buffer.from('{"a"')]));
      expect(() => loadSync(path)).to.throw(CheckpointError, /corrupt header: not valid UTF-8 JSON/);
      len.writeBigUInt64LE(1n << 40n);
      writeFileSync(path, Buffer.concat([len, Buffer.from('{}')]));
      expect(() => loadSync(path)).to.throw(CheckpointError, /corrupt header length/);
      writeFileSync(path, handMade([['w', 'F32', [2, 2], [1, 2, 3]]]));
      expect(() => loadSync(path)).to.throw(CheckpointError, /'w' of shape \[2, 2\] and dtype F32 needs 16 bytes, but its data_offsets span 12/);
      const f16 = handMade([['w', 'F32', [2], [1, 2]]]).toString('latin1').replace('"F32"', '"F16"');
      writeFileSync(path, Buffer.from(f16, 'latin1'));
      expect(() => loadSync(path)).to.throw(CheckpointError, /'w' has dtype "F16"; aglu reads F32 and F64/);
      writeFileSync(path, Buffer.concat([handMade([['w', 'F32', [1], [1]]]), Buffer.from([0, 0])]));
      expect(() => loadSync(path)).to.throw(CheckpointError, /trailing or missing bytes/);
    });
  });

  describe('JSON', () => {
    it('round-trips exactly, including NaN and ±Infinity', async () => {
      const model = nn.mlp([2, 3, 2], { activation: 'aglu', dtype: 'float64' });
      const path = join(dir, 'model.json');
      const sd = model.stateDict();
      sd['0.bias'] = tensor([NaN, Infinity, -Infinity], { dtype: 'float64' });
      await save(sd, path, { metadata: { note: 'x' } });
      const doc = JSON.parse(readFileSync(path, 'utf8'));
      expect(doc.format).to.equal('aglu-state-dict');
      expect(Object.keys(doc.tensors)).to.include('1.lambda_param');
      expect(doc.tensors['0.bias'].data).to.deep.equal(['NaN', 'Infinity', '-Infinity']);
      const back = await load(path);
      expect(flat(back['0.bias'])).to.deep.equal([NaN, Infinity, -Infinity]);
      expect(flat(back['2.weight'])).to.deep.equal(flat(sd['2.weight']));
      const fresh = nn.mlp([2, 3, 2], { activation: 'aglu', dtype: 'float64' });
      await save(model, path);
      await load(fresh, path);
      expect(values(fresh)).to.deep.equal(values(model));
      expect(readMetadata(path)).to.deep.equal({});
    });

    it('truncated or foreign JSON gives a clear error', () => {
      const model = nn.mlp([2, 2]);
      const path = join(dir, 'cut.json');
      saveSync(model, path);
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.slice(0, text.length - 20));
      expect(() => loadSync(model, path)).to.throw(CheckpointError, /not valid JSON — truncated or corrupt/);
      writeFileSync(path, '{"hello": 1}');
      expect(() => loadSync(path)).to.throw(CheckpointError, /not an aglu JSON checkpoint/);
      writeFileSync(path, text.replace(/"shape":\[2,2\]/, '"shape":[2,3]'));
      expect(() => loadSync(path)).to.throw(CheckpointError, /'0\.weight' of shape \[2, 3\] needs 6 values, found 4/);
    });
  });

  describe('loading into a model', () => {
    it('a wrong-shape file names the parameter and both shapes; the model is untouched', async () => {
      const path = join(dir, 'small.safetensors');
      await save(nn.mlp([2, 3, 2], { activation: 'aglu' }), path);
      const model = nn.mlp([2, 4, 2], { activation: 'aglu' });
      const before = values(model);
      let err: unknown;
      try {
        await load(model, path);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ShapeError);
      expect((err as Error).message).to.match(/^load '.*small\.safetensors': '0\.weight' has shape \[3, 2\] in the state dict but \[4, 2\] in the model; the model is unchanged$/);
      expect(values(model)).to.deep.equal(before);
    });

    it('missing and unexpected parameters are listed', async () => {
      const path = join(dir, 'relu.json');
      await save(nn.mlp([2, 3, 3, 2]), path);
      const model = nn.mlp([2, 3, 2], { activation: 'aglu' });
      const before = values(model);
      await load(model, path).then(
        () => expect.fail('should throw'),
        (e: Error) => {
          expect(e).to.be.instanceOf(ValueError);
          expect(e.message).to.contain('missing keys: 1.lambda, 1.kappa; unexpected keys: 4.weight, 4.bias');
        },
      );
      expect(values(model)).to.deep.equal(before);
    });
  });

  describe('atomic writes', () => {
    it('replaces an existing file, leaves no temporary files, and cleans up on failure', async () => {
      const sub = mkdtempSync(join(dir, 'atomic-'));
      const path = join(sub, 'm.safetensors');
      const a = nn.mlp([2, 2]), b = nn.mlp([2, 2]);
      await save(a, path);
      await save(b, path);
      saveSync(b, join(sub, 'n.json'));
      expect(readdirSync(sub).sort()).to.deep.equal(['m.safetensors', 'n.json']);
      expect(values(await load(nn.mlp([2, 2]), path))).to.deep.equal(values(b));
      let failed = false;
      await save(a, join(sub, 'missing-dir', 'x.safetensors')).catch(() => (failed = true));
      expect(failed).to.equal(true);
      expect(() => saveSync(a, join(sub, 'missing-dir', 'x.json'))).to.throw(/ENOENT/);
      expect(readdirSync(sub).sort()).to.deep.equal(['m.safetensors', 'n.json']);
    });

    it('sniffs the format of a file without a known extension', async () => {
      const a = nn.mlp([2, 2]);
      await save(a, join(dir, 'ckpt.bin'));
      await save(a, join(dir, 'ckpt.txt'), { format: 'json' });
      expect(readFileSync(join(dir, 'ckpt.txt'), 'utf8').startsWith('{')).to.equal(true);
      expect(values(await load(nn.mlp([2, 2]), join(dir, 'ckpt.bin')))).to.deep.equal(values(a));
      expect(values(await load(nn.mlp([2, 2]), join(dir, 'ckpt.txt')))).to.deep.equal(values(a));
    });
  });
});
