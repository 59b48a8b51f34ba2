// Validates objects against the published schemas of Kubernetes (kubernetes-models, generated
// from the upstream OpenAPI spec) and Knative Serving (@kubernetes-models/knative, generated from
// the upstream CRDs), never a hand copy. Both packages are ESM-only, hence the native import().
type Validating = new (data: unknown) => { validate(): void };

// tsc (module commonjs) would turn import() into require(), which their exports map refuses.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, Validating>>;

const MODELS: Record<string, [string, string]> = {
  Namespace: ['kubernetes-models/v1/Namespace', 'Namespace'],
  Pod: ['kubernetes-models/v1/Pod', 'Pod'],
  Service: ['@kubernetes-models/knative/serving.knative.dev/v1/Service', 'Service'],
  Revision: ['@kubernetes-models/knative/serving.knative.dev/v1/Revision', 'Revision'],
};

/** Throws with the schema's own message when `object` is not a valid `kind`. */
export async function validateKubeObject(kind: string, object: unknown): Promise<void> {
  const model = MODELS[kind];
  if (!model) throw new Error(`no published schema wired for kind ${kind}`);
  const Model = (await importEsm(model[0]))[model[1]];
  new Model(object).validate();
}
