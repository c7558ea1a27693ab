import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { useMe } from '../../auth/SessionProvider';
import { Alert, Badge, Button, Dialog, ErrorMessage, Loading, Page, Pager } from '../../ui/kit';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { useCursorPages } from '../../ui/paging';
import { useCan } from './can';
import { AccountLink, ActionForm, EnumBadge, TableWrap, to, UserLink } from './parts';
import type { CashApproval } from './types';

// Approvals lists the deposits and withdrawals at or above their currency's threshold that wait for
// a second admin, the soonest to expire first. Only admins see them (the contract's x-roles).
export function Approvals() {
  const intl = useIntl();
  const can = useCan();
  return (
    <Page title={intl.formatMessage({ id: 'staff.approvals.title' })}>
      {can('listCashApprovals') ? (
        <ApprovalList />
      ) : (
        <Alert kind="info">
          <FormattedMessage id="staff.approvals.adminsOnly" />
        </Alert>
      )}
    </Page>
  );
}

type Decision = 'approve' | 'reject';

function ApprovalList() {
  const intl = useIntl();
  const me = useMe();
  const can = useCan();
  const pages = useCursorPages();
  const [deciding, setDeciding] = useState<{ approval: CashApproval; decision: Decision } | undefined>();
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'approvals', pages.cursor],
    queryFn: async () => unwrap(await api.GET('/v1/admin/cash-approvals', { params: { query: pages.cursor ? { cursor: pages.cursor } : {} } })),
  });
  if (isPending) return <Loading />;
  if (error) return <ErrorMessage error={error} />;
  const close = () => setDeciding(undefined);
  return (
    <>
      <p className="hint">
        <FormattedMessage id="staff.approvals.hint" />
      </p>
      {data.items.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="staff.approvals.none" />
        </p>
      ) : (
        <TableWrap label={intl.formatMessage({ id: 'staff.approvals.title' })}>
          <table>
            <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.approvals.title' })}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <FormattedMessage id="staff.approvals.requested" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.kind" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.accountNumber" />
                </th>
                <th scope="col" className="num">
                  <FormattedMessage id="staff.field.amount" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.description" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.approvals.requestedBy" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.approvals.expires" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.approvals.decision" />
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((a) => {
                const mine = a.requested_by === me.id;
                return (
                  <tr key={a.id}>
                    <th scope="row">
                      <DateTime value={a.created_at} />
                    </th>
                    <td>
                      <EnumBadge group="cashKind" value={a.kind} />
                    </td>
                    <td>
                      <AccountLink id={a.account_id}>
                        <AccountNumber value={a.account_number} />
                      </AccountLink>
                    </td>
                    <td className="num">
                      <Money minor={a.amount} currency={a.currency} />
                    </td>
                    <td>{a.description || <span className="muted">—</span>}</td>
                    <td>
                      {mine ? (
                        <Badge tone="neutral">
                          <FormattedMessage id="staff.approvals.you" />
                        </Badge>
                      ) : (
                        <UserLink id={a.requested_by} />
                      )}
                    </td>
                    <td>
                      <DateTime value={a.expires_at} />
                    </td>
                    <td>
                      {mine ? (
                        // The API refuses a decision by the admin who asked; the buttons are not offered.
                        <span className="muted">
                          <FormattedMessage id="staff.approvals.notYours" />
                        </span>
                      ) : (
                        <div className="row">
                          {can('approveCashApproval') && (
                            <Button onClick={() => setDeciding({ approval: a, decision: 'approve' })}>
                              <FormattedMessage id="staff.approvals.approve" />
                            </Button>
                          )}
                          {can('rejectCashApproval') && (
                            <Button variant="danger" onClick={() => setDeciding({ approval: a, decision: 'reject' })}>
                              <FormattedMessage id="staff.approvals.reject" />
                            </Button>
                          )}
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager hasPrev={pages.hasPrev} next={data.next_cursor} onPrev={pages.prev} onNext={() => data.next_cursor && pages.next(data.next_cursor)} />
      <Dialog
        open={deciding !== undefined}
        title={deciding ? intl.formatMessage({ id: `staff.approvals.${deciding.decision}Title` }) : ''}
        onClose={close}
      >
        {deciding && <DecisionForm approval={deciding.approval} decision={deciding.decision} onClose={close} />}
      </Dialog>
    </>
  );
}

function DecisionForm({ approval: a, decision, onClose }: { approval: CashApproval; decision: Decision; onClose: () => void }) {
  const intl = useIntl();
  const queries = useQueryClient();
  const decide = useMutation({
    mutationFn: async () => {
      const opts = { params: { path: { id: a.id } } };
      return unwrap(decision === 'approve' ? await api.POST('/v1/admin/cash-approvals/{id}/approve', opts) : await api.POST('/v1/admin/cash-approvals/{id}/reject', opts));
    },
    onSettled: () =>
      Promise.all(
        [['staff', 'approvals'], ['staff', 'transfers'], ['staff', 'account', a.account_id], ['staff', 'audit'], ['staff', 'reports']].map((queryKey) =>
          queries.invalidateQueries({ queryKey }),
        ),
      ),
  });
  const code = decide.error instanceof ApiError ? decide.error.code : undefined;
  const money = <Money minor={a.amount} currency={a.currency} />;
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: `staff.approvals.${decision}` })}
      danger={decision === 'reject'}
      busy={decide.isPending}
      error={decide.error}
      onSubmit={() => decide.mutate()}
      onClose={onClose}
      done={
        decide.data && (
          <Alert kind="success">
            {decide.data.status === 'approved' ? (
              <>
                <FormattedMessage id="staff.approvals.approved" values={{ kind: a.kind, amount: money }} />{' '}
                {decide.data.transfer_id && (
                  <Link to={to.transfer(decide.data.transfer_id)}>
                    <FormattedMessage id="staff.cash.follow" />
                  </Link>
                )}
              </>
            ) : (
              <FormattedMessage id="staff.approvals.rejected" values={{ kind: a.kind, amount: money }} />
            )}
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage
          id={`staff.approvals.${decision}Hint`}
          values={{ kind: a.kind, amount: money, number: <AccountNumber value={a.account_number} /> }}
        />
      </p>
      {code === 'approver_not_independent' && (
        <Alert kind="warning">
          <FormattedMessage id="staff.approvals.notIndependent" />
        </Alert>
      )}
      {code === 'approval_already_decided' && (
        <Alert kind="warning">
          <FormattedMessage id="staff.approvals.alreadyDecided" />
        </Alert>
      )}
    </ActionForm>
  );
}
