import { Page } from '../../ui/kit';

export default function Notifications() {
  return <Page title="Notifications">{null}</Page>;
}
