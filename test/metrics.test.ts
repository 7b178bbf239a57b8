import { expect } from 'chai';
import { setBackend } from '../src/backend/current.js';
import { ShapeError, ValueError } from '../src/errors.js';
import {
  accuracy,
  confusionMatrix,
  perClassAccuracy,
  predictedClasses,
  shotAccuracy,
  shotGroups,
} from '../src/metrics.js';
import { tensor } from '../src/tensor.js';

describe('metrics', () => {
  before(() => setBackend('js'));

  it('accuracy from class indices, logits tensors, score rows and label tensors', () => {
    expect(accuracy([0, 1, 1], [0, 1, 0])).to.equal(2 / 3);
    const logits = tensor([[2, 1], [0, 3], [5, -1], [0.5, 0.25]]);
    expect(accuracy(logits, tensor([0, 1, 1, 0]))).to.equal(3 / 4);
    expect(accuracy(logits, new Float32Array([1, 1, 0, 0]))).to.equal(3 / 4);
    expect(accuracy([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]], [1, 2])).to.equal(1 / 2);
    expect(accuracy(tensor([2, 0, 1], { dtype: 'float64' }), [2, 0, 0])).to.equal(2 / 3);
  });

  it('argmax takes the first maximum and treats NaN as the maximum (as PyTorch)', () => {
    expect(predictedClasses([[1, 3, 3], [4, 4, 0], [0, NaN, 9], [-1, -2, -1]])).to.deep.equal([1, 0, 1, 0]);
    expect(predictedClasses(tensor([[1, 3, 3], [0, 2, 1]]))).to.deep.equal([1, 1]);
  });

  it('confusionMatrix counts [true][predicted]', () => {
    const pred = [0, 2, 1, 1, 0, 2], y = [0, 1, 1, 2, 0, 2];
    expect(confusionMatrix(pred, y)).to.deep.equal([
      [2, 0, 0],
      [0, 1, 1],
      [0, 1, 1],
    ]);
    expect(confusionMatrix(tensor(pred), tensor(y), 4)).to.deep.equal([
      [2, 0, 0, 0],
      [0, 1, 1, 0],
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    expect(() => confusionMatrix([3], [0], 2)).to.throw(ValueError, /prediction 3/);
  });

  it('perClassAccuracy is recall per class, NaN for absent classes', () => {
    const acc = perClassAccuracy([0, 2, 1, 1, 0, 2], [0, 1, 1, 2, 0, 2], 4);
    expect(acc.slice(0, 3)).to.deep.equal([1, 0.5, 0.5]);
    expect(acc[3]).to.be.NaN;
    expect(perClassAccuracy(tensor([[1, 0], [1, 0], [0, 1]]), [0, 1, 1])).to.deep.equal([1, 0.5]);
  });

  it('shotGroups: many > 100, medium 20–100, few < 20; scaled: n_max/5 and n_max/25', () => {
    expect(shotGroups([500, 101, 100, 20, 19, 5])).to.deep.equal({
      many: [0, 1],
      medium: [2, 3],
      few: [4, 5],
      thresholds: { many: 100, few: 20 },
    });
    const scaled = shotGroups([50, 11, 10, 2, 1], { thresholds: 'scaled' });
    expect(scaled).to.deep.equal({ many: [0, 1], medium: [2, 3], few: [4], thresholds: { many: 10, few: 2 } });
    const cifar = shotGroups([500, 101, 100, 20, 19], { thresholds: 'scaled' });
    expect(cifar.thresholds).to.deep.equal({ many: 100, few: 20 });
    expect(shotGroups([9, 5, 1], { thresholds: { many: 6, few: 2 } })).to.deep.include({ many: [0], medium: [1], few: [2] });
  });

  it('shotAccuracy averages per-class accuracy within each group', () => {
    const y = [0, 0, 1, 1, 2, 2, 3, 3], pred = [0, 0, 1, 0, 2, 2, 0, 3];
    const s = shotAccuracy(pred, y, [200, 50, 50, 5]);
    expect(s.perClass).to.deep.equal([1, 0.5, 1, 0.5]);
    expect([s.many, s.medium, s.few, s.overall]).to.deep.equal([1, 0.75, 0.5, 6 / 8]);
    // an unbalanced test set: the group value is the mean of class accuracies, not of samples
    const u = shotAccuracy([1, 1, 1, 1, 0], [0, 1, 1, 1, 2], [150, 120, 10]);
    expect([u.many, u.few, u.overall]).to.deep.equal([0.5, 0, 3 / 5]); // many: (0/1 + 3/3) / 2, not 3/4
    expect(u.medium).to.be.NaN;
  });

  it('reports mismatched or invalid inputs clearly', () => {
    expect(() => accuracy([0, 1], [0])).to.throw(ShapeError, /2 predictions for 1 labels/);
    expect(() => accuracy([0.5], [0])).to.throw(ValueError, /not a class index/);
    expect(() => accuracy([0], [-1])).to.throw(ValueError, /label -1/);
    expect(() => accuracy(tensor([[[1]]]), [0])).to.throw(ShapeError, /scores \[n, C\]/);
    expect(() => accuracy([], [])).to.throw(ValueError, /no samples/);
  });
});
