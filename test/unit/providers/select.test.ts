import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../../src/providers/index.ts';
import { ProviderSelector, parseModelSelection, type ModelSelection } from '../../../src/providers/select.ts';
import type { ModelProvider } from '../../../src/providers/types.ts';

function fakeFactory(): { factory: (cfg: ProviderConfig) => ModelProvider; built: ProviderConfig[] } {
  const built: ProviderConfig[] = [];
  const factory = (cfg: ProviderConfig): ModelProvider => {
    built.push(cfg);
    const model = cfg.kind === 'bedrock' ? cfg.modelId : cfg.kind === 'openai' ? cfg.model : 'scripted';
    return { id: `${cfg.kind}#${built.length}`, model, complete: () => Promise.reject(new Error('not used')) };
  };
  return { factory, built };
}

const sonnet = { kind: 'bedrock', region: 'us-east-1', modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0' } as const;
const haiku = { kind: 'bedrock', region: 'us-east-1', modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' } as const;
const local = { kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' } as const;

const agent = (localpart: string, level: string) => ({ matrixId: `@${localpart}:anycompany.corp`, localpart, level });

describe('ProviderSelector', () => {
  it('chooses byAgent over byLevel over default', () => {
    const { factory } = fakeFactory();
    const selector = new ProviderSelector({
      default: haiku,
      byLevel: { CEO: sonnet, VP: sonnet },
      byAgent: { 'dana.ng': local, '@sam.lee:anycompany.corp': { kind: 'scripted' } },
    }, { factory });
    expect(selector.providerFor(agent('ic.person', 'IC')).model).toBe(haiku.modelId);
    expect(selector.providerFor(agent('vp.person', 'VP')).model).toBe(sonnet.modelId);
    expect(selector.providerFor(agent('dana.ng', 'VP')).model).toBe('llama3');
    expect(selector.providerFor(agent('sam.lee', 'CEO')).model).toBe('scripted');
    expect(selector.providerFor(agent('odd', 'Intern')).model).toBe(haiku.modelId);
  });

  it('prefers a matrix-id entry over a localpart entry for the same agent', () => {
    const { factory } = fakeFactory();
    const selector = new ProviderSelector({ default: haiku, byAgent: { 'dana.ng': local, '@dana.ng:anycompany.corp': sonnet } }, { factory });
    expect(selector.providerFor(agent('dana.ng', 'IC')).model).toBe(sonnet.modelId);
  });

  it('builds one shared provider per distinct config, ignoring key order and explicit defaults', () => {
    const { factory, built } = fakeFactory();
    const selector = new ProviderSelector({
      default: sonnet,
      byLevel: { CEO: { modelId: sonnet.modelId, kind: 'bedrock', region: 'us-east-1', stream: true }, IC: haiku },
      byAgent: { 'a.b': { ...haiku } },
    }, { factory });
    expect(built).toHaveLength(2);
    expect(selector.providers()).toHaveLength(2);
    expect(selector.providerFor(agent('x', 'CEO'))).toBe(selector.providerFor(agent('y', 'VP')));
    expect(selector.providerFor(agent('a.b', 'CEO'))).toBe(selector.providerFor(agent('z', 'IC')));
    expect(selector.providerFor(agent('z', 'IC'))).not.toBe(selector.providerFor(agent('y', 'VP')));
  });

  it('names the offending key when the config is invalid', () => {
    const { factory } = fakeFactory();
    const bad = { default: local, byLevel: { VP: { kind: 'bedrock', modelId: 'x' } } } as unknown as ModelSelection;
    expect(() => new ProviderSelector(bad, { factory })).toThrow(/model\.byLevel\.VP\.region: /);
    expect(() => parseModelSelection({ default: local, byLevel: { Vp: local } })).toThrow(/model\.byLevel: .*Vp/);
    expect(() => parseModelSelection({ byLevel: {} })).toThrow(/model\.default: /);
    expect(() => parseModelSelection({ default: local, prices: { m: { inputPerMTok: -1, outputPerMTok: 1 } } }, 'fleet.model'))
      .toThrow(/fleet\.model\.prices\.m\.inputPerMTok: /);
  });

  it('names the key whose provider could not be built', () => {
    const factory = (cfg: ProviderConfig): ModelProvider => {
      if (cfg.kind === 'openai') throw new Error('environment variable KEY (apiKeyEnv) is not set');
      return { id: 'ok', model: 'ok', complete: () => Promise.reject(new Error('unused')) };
    };
    expect(() => new ProviderSelector({ default: sonnet, byAgent: { 'dana.ng': local } }, { factory }))
      .toThrow('model.byAgent.dana.ng: environment variable KEY (apiKeyEnv) is not set');
  });

  it('overlays configured prices on the defaults', () => {
    const { factory } = fakeFactory();
    const selector = new ProviderSelector({
      default: sonnet,
      prices: { [sonnet.modelId]: { inputPerMTok: 1, outputPerMTok: 2 }, llama3: { inputPerMTok: 0, outputPerMTok: 0 } },
    }, { factory });
    expect(selector.prices[sonnet.modelId]).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    expect(selector.prices.llama3).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
    expect(selector.prices['amazon.nova-lite-v1:0']).toBeDefined();
  });

  it('uses createProvider by default', () => {
    const selector = new ProviderSelector({ default: { kind: 'scripted' }, byLevel: { CEO: sonnet } });
    expect(selector.providerFor(agent('boss', 'CEO')).id).toBe('bedrock:us-east-1');
    expect(selector.providerFor(agent('ic', 'IC')).id).toBe('scripted');
  });
});
