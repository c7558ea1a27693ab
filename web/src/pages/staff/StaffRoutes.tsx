import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Loading } from '../../ui/kit';
import { NotFound } from '../public/NotFound';
import { AccountPage } from './AccountPage';
import { Approvals } from './Approvals';
import { AuditLog } from './AuditLog';
import { TransferPage } from './TransferPage';
import { Transfers } from './Transfers';
import { UserPage } from './UserPage';
import { Users } from './Users';

// The reports bring the charting library; it loads only when a report is opened.
const Reports = lazy(() => import('./Reports'));

// The staff console, for support (read-only) and admins, under /staff.
export default function StaffRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route index element={<Navigate to="users" replace />} />
        <Route path="users" element={<Users />} />
        <Route path="users/:id" element={<UserPage />} />
        <Route path="accounts/:id" element={<AccountPage />} />
        <Route path="transfers" element={<Transfers />} />
        <Route path="transfers/:id" element={<TransferPage />} />
        <Route path="approvals" element={<Approvals />} />
        <Route path="reports" element={<Reports />} />
        <Route path="audit" element={<AuditLog />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}
