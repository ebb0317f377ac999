// SPDX-License-Identifier: AGPL-3.0-only
// A group: its members and admins; admins rename it and add or remove members; anyone may leave.
import {call} from './api.js';
import {el, show} from './dom.js';
import {t} from './i18n.js';

/** onBack returns to the group's conversation; onLeft to the chat list after leaving. */
export async function showGroup(account, groupId, onBack, onLeft) {
  const error = el('p', {class: 'error', role: 'alert'});
  const groups = await call('listGroups', {account});
  const group = groups.find(g => g.id === groupId);
  const header = el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
    el('h1', {}, group ? group.name : groupId));
  if (!group) {
    show(header, el('p', {class: 'empty'}, t('group.unknown')));
    return;
  }
  const again = () => showGroup(account, groupId, onBack, onLeft);
  const change = async params => {
    try {
      await call('updateGroup', {account, groupId, ...params});
      again();
    } catch (e) {
      error.textContent = e.message;
    }
  };
  const admins = new Set(group.admins.map(admin => admin.username));
  const name = el('input', {id: 'group-name', name: 'name', value: group.name, maxlength: 64});
  const newMember = el('input', {id: 'add-member', name: 'member', autocomplete: 'off', placeholder: 'carol.7'});
  show(header,
    group.isAdmin ? el('form', {class: 'rename', onsubmit: event => {
      event.preventDefault();
      change({name: name.value.trim()});
    }}, el('label', {for: 'group-name'}, t('group.name')), name, el('button', {type: 'submit'}, t('group.rename')))
      : null,
    el('h2', {}, t('group.members')),
    el('ul', {class: 'members'}, group.members.map(member => el('li', {'data-member': member.username},
      el('span', {}, member.username), admins.has(member.username) ? el('span', {class: 'badge'}, t('group.admin')) : null,
      group.isAdmin && member.username !== account && !admins.has(member.username)
        ? el('button', {type: 'button', class: 'secondary make-admin',
          onclick: () => change({admin: [member.username]})}, t('group.makeAdmin'))
        : null,
      group.isAdmin && member.username !== account
        ? el('button', {type: 'button', class: 'secondary remove-member',
          onclick: () => change({removeMember: [member.username]})}, t('group.remove'))
        : null))),
    group.isAdmin ? el('form', {class: 'add-member', onsubmit: event => {
      event.preventDefault();
      if (newMember.value.trim()) {
        change({member: [newMember.value.trim()]});
      }
    }}, el('label', {for: 'add-member'}, t('group.addMember')), newMember,
    el('button', {type: 'submit'}, t('connection.add'))) : null,
    group.isMember ? el('button', {type: 'button', class: 'secondary leave', onclick: async () => {
      if (!window.confirm(t('group.confirmLeave'))) {
        return;
      }
      try {
        await call('quitGroup', {account, groupId});
        onLeft();
      } catch (e) {
        error.textContent = e.message;
      }
    }}, t('group.leave')) : el('p', {class: 'hint'}, t('group.notMember')),
    error);
}
