/** The methods that change state: CSRF checks them and the per-user write limit counts them. */
export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
