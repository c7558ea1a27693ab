import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { isStaff, useSession, type Role } from './auth/SessionProvider';
import { Layout, PublicLayout } from './ui/Layout';
import { Loading } from './ui/kit';
import { SignIn } from './pages/public/SignIn';
import { SignUp } from './pages/public/SignUp';
import { SetPassword } from './pages/public/SetPassword';
import { NotFound } from './pages/public/NotFound';

// The customer pages load with the app; the staff console (with its charts) only when staff open it.
const Dashboard = lazy(() => import('./pages/customer/Dashboard'));
const AccountPage = lazy(() => import('./pages/customer/AccountPage'));
const SendMoney = lazy(() => import('./pages/customer/SendMoney'));
const TransferPage = lazy(() => import('./pages/customer/TransferPage'));
const Notifications = lazy(() => import('./pages/customer/Notifications'));
const Profile = lazy(() => import('./pages/customer/Profile'));
const Staff = lazy(() => import('./pages/staff/StaffRoutes'));
// The API reference reads and renders the OpenAPI document: its parser loads only with it.
const ApiDocs = lazy(() => import('./pages/docs/ApiDocs'));

// RequireSession shows its page to a signed-in user of one of roles; anyone else signs in first.
function RequireSession({ roles, children }: { roles?: Role[]; children: ReactNode }) {
  const { state, me } = useSession();
  const location = useLocation();
  if (state === 'signed-out') return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  if (state === 'unknown' || !me) return <Loading />;
  if (roles && !roles.includes(me.role)) return <NotFound />;
  return <>{children}</>;
}

function Home() {
  const { state, me } = useSession();
  if (state === 'signed-out') return <Navigate to="/sign-in" replace />;
  if (!me) return <Loading />;
  return <Navigate to={isStaff(me.role) ? '/staff/users' : '/accounts'} replace />;
}

export function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/docs" element={<ApiDocs />} />
        <Route element={<PublicLayout />}>
          <Route path="/sign-in" element={<SignIn />} />
          <Route path="/sign-up" element={<SignUp />} />
          <Route path="/set-password" element={<SetPassword />} />
        </Route>
        <Route
          element={
            <RequireSession>
              <Layout />
            </RequireSession>
          }
        >
          <Route path="/accounts" element={<RequireSession roles={['client']}><Dashboard /></RequireSession>} />
          <Route path="/accounts/:id" element={<RequireSession roles={['client']}><AccountPage /></RequireSession>} />
          <Route path="/send" element={<RequireSession roles={['client']}><SendMoney /></RequireSession>} />
          <Route path="/transfers/:id" element={<RequireSession roles={['client']}><TransferPage /></RequireSession>} />
          <Route path="/notifications" element={<Notifications />} />
          <Route path="/profile" element={<Profile />} />
          <Route path="/staff/*" element={<RequireSession roles={['admin', 'support']}><Staff /></RequireSession>} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
