import { z } from 'zod';
import { RotadConfig } from '../config/schema.js';
import { out } from './output.js';

/** The JSON Schema of the config file, generated from the schema the loader itself uses. */
export function configJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(RotadConfig, { io: 'input', unrepresentable: 'any' }), title: 'rotad configuration' };
}

export function schemaCommand(): number {
  out.line(JSON.stringify(configJsonSchema(), null, 2));
  return 0;
}
