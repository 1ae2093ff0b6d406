import { z } from 'zod';

/**
 * The name of an environment variable that holds a secret (`tokenEnv`, `key.env`, …). Checked so
 * that a secret pasted where its variable's name belongs is refused at load time, with a message
 * that does not repeat it, instead of surfacing later in status output, logs or notifications.
 */
export const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'expected the name of an environment variable (letters, digits and _), not its value' });
