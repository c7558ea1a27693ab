import { Page } from '../../ui/kit';

export default function TransferPage() {
  return <Page title="TransferPage">{null}</Page>;
}
