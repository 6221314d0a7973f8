// Keeps the arrows pointing one way: apps → libs, never back, no app → app, and the identity
// engine free of Nest, Kafka and the database. Run by `npm test` (npm run depcheck).
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      severity: 'error',
      comment: 'Apps never import from other apps; shared code belongs in a lib.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      severity: 'error',
      comment: 'Libs are used by apps, never the other way round.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'identity-engine-is-pure',
      severity: 'error',
      comment: 'The engine serves streaming, batch and the benchmark: no Nest, Kafka or database inside.',
      from: { path: '^libs/identity-engine/' },
      to: { path: '(@nestjs|kafkajs|typeorm|node_modules/pg/|^libs/(?!identity-engine/))' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
