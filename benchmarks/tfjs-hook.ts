/**
 * A Node module-resolution hook for tfjs-core's ES-module files. tfjs-core ships its gradients only as separate ES
 * modules (dist/register_all_gradients.js) whose relative imports have no '.js' suffix — fine for bundlers, rejected
 * by Node's ESM loader. Its CommonJS bundle (what `import '@tensorflow/tfjs-core'` loads in Node) has no gradients
 * at all, so tf.grads would fail. This hook adds the suffix for relative imports inside @tensorflow packages only.
 * The gradients register into tfjs' global registry, which the bundle and the ES modules share.
 */
interface ResolveContext {
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (context.parentURL?.includes('/@tensorflow/') && specifier.startsWith('.')) {
      for (const suffix of ['.js', '/index.js']) {
        try {
          return await next(specifier + suffix, context);
        } catch {
          /* try the next suffix */
        }
      }
    }
    throw e;
  }
}
