import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes SQL migrations to drizzle/; the app applies them at start
// (src/adapters/postgres/migrate.ts) to PostgreSQL and to PGlite alike.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/adapters/postgres/schema.ts',
  out: './drizzle',
});
