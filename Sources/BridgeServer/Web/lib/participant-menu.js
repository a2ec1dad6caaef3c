// The per-participant menu's items (issue 11): role, video, lower hand, overlay text, transfer and
// the DTMF keypad (SIP and H.323 participants only, the ones that can hear tones). Each item shows
// only while its capability key is true; the list is rebuilt each time the menu opens.
import { dtmfDialog, overlayDialog, transferDialog } from './conference-dialogs.js';

const TONE_PROTOCOLS = new Set(['sip', 'h323']);

/**
 * @param {{participant: object, session: Session, ctx: {online: boolean, watchOnly: boolean},
 *          send: ((type: string, fields: object) => Promise<object>) | null,
 *          report?: (result: object) => void, opener?: HTMLElement}} options
 *   `send` null: only which items would show (their `run` must not be called).
 * @returns {Array<{key: string, label: string, run: () => void}>}
 */
export function participantMenuItems({ participant, session, ctx, send, report, opener }) {
  if (!ctx.online || ctx.watchOnly || participant.service_type === 'waiting_room') return [];
  const can = (name) => session.can(name);
  const act = (type, fields) => async () => {
    const result = await send(type, { participant: participant.uuid, ...fields });
    report?.(result);
  };
  const items = [];
  const self = Boolean(participant.self);
  if (can('set_role') && !self) {
    const toHost = participant.role !== 'host';
    items.push({ key: 'role', label: toHost ? 'Make host' : 'Make guest', run: act('set_role', { role: toHost ? 'host' : 'guest' }) });
  }
  if (participant.video_muted === true ? can('video_unmute') : can('video_mute')) {
    items.push(participant.video_muted
      ? { key: 'video', label: 'Allow video', run: act('video_unmute', {}) }
      : { key: 'video', label: 'Stop video', run: act('video_mute', {}) });
  }
  // Another participant's hand is the host's to lower; `lower_hand` alone covers the own one.
  if (typeof participant.hand_raised_at === 'number' && can('lower_hand') && (self || session.role === 'host')) {
    items.push({ key: 'lower-hand', label: 'Lower hand', run: act('lower_hand', {}) });
  }
  if (can('overlay_text')) {
    items.push({ key: 'overlay', label: 'Overlay text…', run: () => overlayDialog({ participant, opener, send }) });
  }
  if (can('transfer') && !self) {
    items.push({ key: 'transfer', label: 'Transfer…', run: () => transferDialog({ participant, opener, send }) });
  }
  if (can('dtmf') && TONE_PROTOCOLS.has(String(participant.protocol ?? '').toLowerCase())) {
    items.push({ key: 'dtmf', label: 'Keypad (DTMF)…', run: () => dtmfDialog({ participant, opener, send }) });
  }
  return items;
}
