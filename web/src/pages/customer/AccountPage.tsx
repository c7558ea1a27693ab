import { Page } from '../../ui/kit';

export default function AccountPage() {
  return <Page title="AccountPage">{null}</Page>;
}
