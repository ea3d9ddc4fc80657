// The header edits a mailing list makes to each post: List-Id (RFC 2919), List-Post,
// List-Help, List-Subscribe, List-Unsubscribe, List-Owner (RFC 2369), Precedence, and
// Reply-To by the list's replyTo policy. Membership is managed by the operator
// ("tandem mail list"), so the help/subscribe/unsubscribe links write to the list
// owner address, which reaches the moderators; lists without moderators omit them. Pure.
import type { MailingList } from '../../directory/directory.ts';
import { listOwnerAddress } from './expand.ts';

export interface HeaderEdit {
  readonly remove: string[];
  readonly add: string[];
}

/** Fields a list owns: copies arriving with them (spoofed or from another list) lose them. */
const LIST_FIELDS = ['List-Id', 'List-Post', 'List-Help', 'List-Subscribe', 'List-Unsubscribe', 'List-Owner', 'List-Archive', 'Precedence'];

/** RFC 2919 list-id: the list address with "@" replaced by "." */
export function listId(address: string): string {
  return address.replace('@', '.');
}

function phrase(text: string): string {
  // A description is free text; quote it so it cannot break the field syntax.
  const clean = text.replace(/[\r\n]+/g, ' ').trim();
  return clean === '' ? '' : `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}" `;
}

export function listHeaderEdit(list: MailingList): HeaderEdit {
  const remove = [...LIST_FIELDS];
  const add = [
    `List-Id: ${phrase(list.description)}<${listId(list.address)}>`,
    list.posting === 'moderators'
      ? 'List-Post: NO (posting is limited to moderators)'
      : `List-Post: <mailto:${list.address}>`,
  ];
  if (list.members.some((m) => m.role === 'moderator')) {
    const owner = listOwnerAddress(list.address);
    add.push(
      `List-Help: <mailto:${owner}?subject=help>`,
      `List-Subscribe: <mailto:${owner}?subject=subscribe>`,
      `List-Unsubscribe: <mailto:${owner}?subject=unsubscribe>`,
      `List-Owner: <mailto:${owner}>`,
    );
  }
  add.push('Precedence: list');
  if (list.replyTo === 'list') {
    remove.push('Reply-To');
    add.push(`Reply-To: <${list.address}>`);
  }
  return { remove, add };
}
