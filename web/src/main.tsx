import { render } from 'preact';
import { LocationProvider, Route, Router } from 'preact-iso';
import { AppProvider } from './app';
import { Header } from './components/shell';
import { RequireAuth, SignIn, SignUp } from './screens/auth';
import { CreatePractice, Home, PracticeHome } from './screens/home';
import { AccountScreen, MyInvitationsScreen, SecurityScreen, SessionsScreen } from './screens/account';
import { BulkImportScreen } from './screens/bulk';
import { EmergencyScreen } from './screens/emergency';
import { InviteScreen } from './screens/invite';
import { AuditScreen } from './screens/audit';
import { LocationsScreen, SupportAccessScreen } from './screens/practice';
import { RolesScreen } from './screens/roles';
import { SettingsScreen } from './screens/settings';
import { MemberScreen } from './screens/member';
import { UserManagement } from './screens/users';
import { ForgotPassword, InvitationPage, ResetPassword, VerifyEmail } from './screens/links';
import './styles.css';

// Made once, at load: a wrapper made during render would remount the screen.
function authed(Screen: () => preact.JSX.Element | null) {
  return () => (
    <RequireAuth>
      <Screen />
    </RequireAuth>
  );
}
const S = {
  home: authed(Home),
  createPractice: authed(CreatePractice),
  practiceHome: authed(PracticeHome),
  users: authed(UserManagement),
  invite: authed(InviteScreen),
  member: authed(MemberScreen),
  roles: authed(RolesScreen),
  locations: authed(LocationsScreen),
  support: authed(SupportAccessScreen),
  audit: authed(AuditScreen),
  settings: authed(SettingsScreen),
  bulk: authed(BulkImportScreen),
  emergency: authed(EmergencyScreen),
  account: authed(AccountScreen),
  security: authed(SecurityScreen),
  myInvitations: authed(MyInvitationsScreen),
  sessions: authed(SessionsScreen),
};

// After a client-side navigation, a screen reader or keyboard user starts at
// the new page's content, as after a full page load.
function focusMain() {
  requestAnimationFrame(() => document.getElementById('main')?.focus({ preventScroll: true }));
}

function NotFound() {
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Page not found</h1>
      <p>
        <a href="/">Go to the start page</a>
      </p>
    </main>
  );
}

function App() {
  return (
    <LocationProvider>
      <AppProvider>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <Header />
        <Router onRouteChange={focusMain}>
          <Route path="/" component={S.home} />
          <Route path="/signup" component={SignUp} />
          <Route path="/login" component={SignIn} />
          <Route path="/invite/:token" component={InvitationPage} />
          <Route path="/verify-email/:token" component={VerifyEmail} />
          <Route path="/reset-password" component={ForgotPassword} />
          <Route path="/reset-password/:token" component={ResetPassword} />
          <Route path="/practices/new" component={S.createPractice} />
          <Route path="/practices/:pid" component={S.practiceHome} />
          <Route path="/practices/:pid/users" component={S.users} />
          <Route path="/practices/:pid/users/invite" component={S.invite} />
          <Route path="/practices/:pid/members/:uid" component={S.member} />
          <Route path="/practices/:pid/roles" component={S.roles} />
          <Route path="/practices/:pid/locations" component={S.locations} />
          <Route path="/practices/:pid/support-access" component={S.support} />
          <Route path="/practices/:pid/audit" component={S.audit} />
          <Route path="/practices/:pid/settings" component={S.settings} />
          <Route path="/practices/:pid/users/import" component={S.bulk} />
          <Route path="/practices/:pid/emergency-access" component={S.emergency} />
          <Route path="/account" component={S.account} />
          <Route path="/account/security" component={S.security} />
          <Route path="/account/invitations" component={S.myInvitations} />
          <Route path="/account/sessions" component={S.sessions} />
          <Route default component={NotFound} />
        </Router>
      </AppProvider>
    </LocationProvider>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
