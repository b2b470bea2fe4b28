import { z } from 'zod';

/**
 * A field the app only passes on: absent and null are kept as Bitbucket sent them; any other value
 * of another type is left out, so the change is delivered without it, and whatever the app would
 * compute from it (a commit's date for the metrics) is skipped as for a field Bitbucket omitted.
 * Shared by the Cloud and Data Center schemas.
 */
export const passedOn = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);
