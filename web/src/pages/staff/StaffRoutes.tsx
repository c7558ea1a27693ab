import { Page } from '../../ui/kit';

export default function StaffRoutes() {
  return <Page title="Staff">{null}</Page>;
}
