/** The schema as printed to schema.graphql: sorted, so the file only changes when the schema does. */
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema.ts';

export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
