// The typed client: paths and bodies come from schema.d.ts, generated from
// infra/openapi.yaml (`npm run gen`). Requests go to /api, which Vite's dev
// server (and a deploy's same-origin routing) forwards to the API.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { ApiError, asProblem, isMfaRequired } from '../lib/problem';
import { token } from '../lib/session';

export type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Me = Schemas['Me'];
export type Member = Schemas['Member'];
export type Membership = Schemas['MembershipWithPractice'];
export type Invitation = Schemas['Invitation'];
export type Location = Schemas['Location'];
export type Role = Schemas['Role'];
export type Practice = Schemas['Practice'];

/** Called with the 401's code (`unauthenticated`, `session_idle`) when the API says the session is gone, so the app can sign out. */
let onUnauthenticated: (code: string | undefined) => void = () => {};
export function whenUnauthenticated(f: (code: string | undefined) => void): void {
  onUnauthenticated = f;
}

/** Called when the API answers 403 mfa_required: a practice requires a second factor the session lacks (R28). */
let onMfaRequired: () => void = () => {};
export function whenMfaRequired(f: () => void): void {
  onMfaRequired = f;
}

const auth: Middleware = {
  onRequest({ request }) {
    const t = token();
    if (t && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${t}`);
    return request;
  },
  async onResponse({ response, request }) {
    if ((response.status === 401 || response.status === 403) && request.headers.has('Authorization')) {
      // Read a copy: the caller still reads the problem from the response itself.
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => undefined);
      if (response.status === 401) onUnauthenticated(asProblem(401, body).code);
      else if (isMfaRequired(response.status, body)) onMfaRequired();
    }
    return response;
  },
};

// VITE_API_BASE at build time points a deployed console at the API's origin (docs/design.md).
export const api = createClient<paths>({ baseUrl: import.meta.env.VITE_API_BASE ?? '/api' });
api.use(auth);

/** openapi-fetch's answer as a value or a thrown ApiError carrying the problem. */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  return (await answer(p)).data;
}

/** As `call`, with the response too, for its headers (e.g. a `Link` to the next page). */
export async function answer<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ data: T; response: Response }> {
  const { data, error, response } = await p;
  if (!response.ok) throw new ApiError(response.status, asProblem(response.status, error));
  return { data: data as T, response };
}

/** The ETag of a versioned resource, to send back as If-Match (R18). */
export function versionOf(resource: { version: number }): string {
  return `"${resource.version}"`;
}
