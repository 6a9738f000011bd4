// The signed-in state every screen shares: the session, GET /me, and the
// practice chosen in the switcher.
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, call, whenMfaRequired, whenUnauthenticated, type Me, type Membership } from './api/client';
import { endedMessage, signInPath } from './lib/next';
import { errorsOf, type FormErrors } from './lib/problem';
import { clearSession, savePractice, savedPractice, setToken, token } from './lib/session';

export interface AppState {
  me: Me | null;
  /** True until the first GET /me of a stored session has answered. */
  loading: boolean;
  signedIn: boolean;
  refresh: () => Promise<Me | null>;
  signIn: (sessionToken: string) => Promise<Me | null>;
  signOut: () => Promise<void>;
  /** The practice the switcher shows: the saved one if still a membership, else the first active one. */
  practice: Membership | null;
  choosePractice: (pid: string) => void;
  /** True once an API call answered 403 mfa_required (a practice's policy), until a second factor is on. */
  mfaRequiredByPractice: boolean;
  /** Why GET /me failed (the server unreachable, say), so a page can offer to retry rather than wait forever. */
  meError: FormErrors | null;
  /** Set when the API ended the session (401): what the sign-in page tells the user. */
  ended: string | null;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const app = useContext(Ctx);
  if (!app) throw new Error('useApp outside AppProvider');
  return app;
}

export function activeMemberships(me: Me | null): Membership[] {
  return (me?.memberships ?? []).filter((m) => m.status === 'active');
}

export function AppProvider({ children }: { children: ComponentChildren }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(token() !== null);
  const [signedIn, setSignedIn] = useState(token() !== null);
  const [pid, setPid] = useState<string | null>(savedPractice());
  const [mfaRequiredByPractice, setMfaRequiredByPractice] = useState(false);
  const [meError, setMeError] = useState<FormErrors | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const { route } = useLocation();

  const refresh = useCallback(async () => {
    if (!token()) {
      setMe(null);
      setLoading(false);
      return null;
    }
    setMeError(null);
    try {
      const m = await call(api.GET('/me'));
      setMe(m);
      // Enrolled (TotpEnroll refreshes /me after the confirm): the gate is passed.
      if (m.user.mfa_enabled) setMfaRequiredByPractice(false);
      return m;
    } catch (err) {
      setMeError(errorsOf(err));
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  const forget = useCallback(() => {
    clearSession();
    setMe(null);
    setSignedIn(false);
    setPid(null);
    setMfaRequiredByPractice(false);
    setMeError(null);
  }, []);

  useEffect(() => {
    whenUnauthenticated((code) => {
      forget();
      setEnded(endedMessage(code));
      route(signInPath(location.pathname + location.search));
    });
    whenMfaRequired(() => setMfaRequiredByPractice(true));
    void refresh();
  }, []);

  const signIn = useCallback(async (t: string) => {
    setEnded(null);
    setToken(t);
    setSignedIn(true);
    setLoading(true);
    return refresh();
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.POST('/auth/logout');
    } finally {
      forget();
    }
  }, []);

  const choosePractice = useCallback((p: string) => {
    savePractice(p);
    setPid(p);
  }, []);

  const practice = useMemo(() => {
    const active = activeMemberships(me);
    return active.find((m) => m.practice_id === pid) ?? active[0] ?? null;
  }, [me, pid]);

  const state: AppState = { me, loading, signedIn, refresh, signIn, signOut, practice, choosePractice, mfaRequiredByPractice, meError, ended };
  return <Ctx.Provider value={state}>{children}</Ctx.Provider>;
}

/** True when the member holds the permission in the practice (for showing links; the API decides). */
export function can(m: Membership | null, permission: string): boolean {
  return !!m && m.permissions.includes(permission);
}
