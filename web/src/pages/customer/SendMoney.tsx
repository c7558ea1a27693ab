import { Page } from '../../ui/kit';

export default function SendMoney() {
  return <Page title="SendMoney">{null}</Page>;
}
