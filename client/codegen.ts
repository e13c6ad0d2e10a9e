/**
 * Types for the operations in client/operations/ (`npm run client:generate`). The schema is the
 * printed schema.graphql, so generating needs no running server; test/client/ fails when the
 * generated files are stale.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/operations/*.graphql'],
  generates: {
    'client/generated/': {
      preset: 'client',
      // Plain types a frontend can read without the preset's fragment helpers.
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
