import { Page } from '../../ui/kit';

export default function Dashboard() {
  return <Page title="Dashboard">{null}</Page>;
}
