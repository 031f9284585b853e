// The layer rule of docs/architecture.md ("Layers"), checked by `npm run lint:deps` (part of
// `npm test`). A module may import its own layer and the layers before it in LAYERS, never one
// after it; src/aws (the only place that builds SDK clients) is for the shells; the pure layers
// never reach the AWS SDK.

/** Bottom to top: the data path of the DSL to the CLI. The base (errors, partitions) imports nothing of ours. */
const LAYERS = [
  ['errors', 'partitions'],
  ['config'],
  ['plan'],
  ['protocol'],
  ['bus'],
  ['handlers'],
  ['runtime'],
  ['templates'],
  ['report'],
  ['pipeline'],
  ['local'],
  ['cli'],
];

/** `src/<layer>/...` or `src/<layer>.ts`. */
const layerPath = (names) => `^src/(${names.join('|')})(/|\\.ts$)`;

/** Layers that do I/O with AWS: they may use src/aws and the SDK. */
const SHELLS = ['bus', 'handlers', 'runtime', 'pipeline', 'local', 'cli'];
/** Pure layers: data in, data out; unit-tested without I/O. */
const PURE = ['errors', 'partitions', 'config', 'plan', 'protocol', 'report'];
/** Lambda entries bundled by templates/bundles.ts run in the runtime, so they are shells too. */
const TEMPLATE_ENTRIES = '^src/templates/entries/';

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may import ${LAYERS.slice(0, i + 1)
    .flat()
    .join(', ')} (and src/aws if a shell), not the layers above`,
  severity: 'error',
  from: { path: layerPath(layer) },
  to: { path: layerPath(LAYERS.slice(i + 1).flat()) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'aws-for-shells-only',
      comment: `src/aws builds SDK clients; only the shells (${SHELLS.join(', ')}) take them`,
      severity: 'error',
      from: { path: '^src/', pathNot: [layerPath([...SHELLS, 'aws']), TEMPLATE_ENTRIES] },
      to: { path: '^src/aws/' },
    },
    {
      name: 'aws-at-the-bottom',
      comment: 'src/aws knows AWS, not orgbridge: it may import the base (errors, partitions) only',
      severity: 'error',
      from: { path: '^src/aws/' },
      to: { path: '^src/', pathNot: ['^src/aws/', layerPath(LAYERS[0])] },
    },
    {
      name: 'pure-without-sdk',
      comment: `pure layers (${PURE.join(', ')}, the template renderers) never import the AWS SDK`,
      severity: 'error',
      from: { path: [layerPath(PURE), '^src/templates/'], pathNot: TEMPLATE_ENTRIES },
      to: { path: '(^|/)node_modules/@(aws-sdk|smithy|aws-lambda-powertools)/' },
    },
    {
      name: 'renderers-without-shells',
      comment: 'template renderers are pure: no bus, handler, runtime or AWS client code',
      severity: 'error',
      from: { path: '^src/templates/', pathNot: TEMPLATE_ENTRIES },
      to: { path: layerPath(['bus', 'handlers', 'runtime', 'aws']) },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'the CLI is the top: only src/cli and bin/ import it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      comment: 'an import cycle hides which layer a module belongs to',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    includeOnly: ['^src/', '(^|/)node_modules/'],
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
