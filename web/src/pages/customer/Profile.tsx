import { Page } from '../../ui/kit';

export default function Profile() {
  return <Page title="Profile">{null}</Page>;
}
