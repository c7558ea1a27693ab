import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { DateTime } from '../../ui/format';
import { Button, ErrorMessage, Loading, Page, Pager } from '../../ui/kit';
import { useCursorPages } from '../../ui/paging';
import { notificationText } from './notificationText';

export default function Notifications() {
  const intl = useIntl();
  const queries = useQueryClient();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const pages = useCursorPages();
  const list = useQuery({
    queryKey: ['notifications', 'list', unreadOnly, pages.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/me/notifications', {
          params: { query: { limit: 20, ...(unreadOnly ? { unread: true } : {}), ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
    placeholderData: (prev) => prev,
  });
  const refresh = () => queries.invalidateQueries({ queryKey: ['notifications'] });
  const readOne = useMutation({
    mutationFn: async (id: string) => unwrap(await api.POST('/v1/me/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const readAll = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/me/notifications/read-all')),
    onSuccess: refresh,
  });
  const unread = list.data?.unread_count ?? 0;
  return (
    <Page
      title={intl.formatMessage({ id: 'notifications.title' })}
      actions={
        <Button variant="secondary" disabled={unread === 0} busy={readAll.isPending} onClick={() => readAll.mutate()}>
          <FormattedMessage id="notifications.readAll" />
        </Button>
      }
    >
      <div className="row">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => {
              pages.reset();
              setUnreadOnly(e.target.checked);
            }}
          />{' '}
          <FormattedMessage id="notifications.unreadOnly" />
        </label>
        <span className="muted" role="status">
          <FormattedMessage id="nav.unread" values={{ n: unread }} />
        </span>
      </div>
      <ErrorMessage error={readOne.error ?? readAll.error} />
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorMessage error={list.error} />
      ) : list.data.items.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="notifications.none" />
        </p>
      ) : (
        <ul className="plain-list notifications">
          {list.data.items.map((n) => {
            const text = notificationText(n, intl);
            return (
              <li key={n.id} className={`card notification${n.read_at ? '' : ' unread'}`}>
                <div className="row row-between">
                  <h2>{text.title}</h2>
                  <DateTime value={n.at} />
                </div>
                <p>{text.body}</p>
                {!n.read_at && (
                  <Button variant="link" onClick={() => readOne.mutate(n.id)}>
                    <FormattedMessage id="notifications.markRead" />
                    <span className="visually-hidden">: {text.title}</span>
                  </Button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Pager hasPrev={pages.hasPrev} next={list.data?.next_cursor} onPrev={pages.prev} onNext={() => list.data?.next_cursor && pages.next(list.data.next_cursor)} />
    </Page>
  );
}
