// Words for people: states, roles, reasons and error codes of the pexbridge protocol.

export const STATE_LABELS = {
  connecting: 'Connecting',
  pin_required: 'PIN required',
  pin_optional: 'PIN or guest',
  connected: 'Connected',
  disconnected: 'Disconnected',
  error: 'Failed',
  extension_required: 'Reception',
  idp_required: 'Sign-in',
  sso_required: 'Sign-in',
};

export const ROLE_LABELS = { host: 'Host', guest: 'Guest' };

const PROTOCOL_LABELS = { webrtc: 'WebRTC', sip: 'SIP', h323: 'H.323', api: 'API', rtmp: 'RTMP', mssip: 'Skype', teams: 'Teams' };

/** The label of a participant's call protocol. */
export function protocolLabel(protocol) {
  if (!protocol) return '';
  return PROTOCOL_LABELS[protocol] ?? protocol.toUpperCase();
}

/** "4 attempts left." */
export function attemptsText(left) {
  if (typeof left !== 'number') return '';
  return left === 1 ? '1 attempt left.' : `${left} attempts left.`;
}

function sentence(text) {
  if (!text) return '';
  const trimmed = String(text).trim();
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** A readable sentence for an error body ({code, message, attempts_left}). */
export function errorText(error) {
  if (!error) return '';
  switch (error.code) {
    case 'invalid_pin': return `Wrong PIN. ${attemptsText(error.attempts_left)}`.trim();
    case 'pin_required': return 'This conference needs a PIN.';
    case 'too_many_pin_attempts': return 'Too many wrong PINs: the bridge closed the session.';
    case 'conference_not_found': return 'There is no conference with that alias on this node.';
    case 'node_unreachable': return 'The conference node could not be reached.';
    case 'insecure_node': return 'The bridge refuses conference nodes reached over plain HTTP.';
    case 'forbidden': return 'Watch-only access: this action needs a controller token.';
    case 'not_host': return 'Only a host can do that.';
    case 'unknown_session': return 'The bridge no longer has this session.';
    case 'unknown_participant': return 'That participant has left.';
    case 'extension_not_found': return 'The reception does not know that conference. Check it and try again.';
    case 'sso_failed': return 'The sign-in was refused. Sign in again.';
    case 'invalid_value': return sentence(error.message || 'That value is not accepted');
    case 'connection_lost':
    case 'offline': return 'Not connected to the bridge. Try again when it is back.';
    case 'timeout': return 'The bridge did not answer in time.';
    default: return sentence(error.message || error.code || 'Something went wrong');
  }
}

/** Why a session ended, from its final state event or snapshot. */
export function endedText(info) {
  if (!info) return 'The session ended.';
  if (info.state === 'error') return errorText(info.error) || 'The session failed.';
  switch (info.reason) {
    case 'left': return 'Left the conference.';
    case 'remote_disconnect': return info.message ? `Disconnected by the conference: ${info.message}` : 'Disconnected by the conference.';
    case 'bridge_shutdown': return 'The bridge shut down.';
    case 'upstream_lost': return 'Lost the connection to the conference node.';
    case 'token_expired': return 'The conference node stopped accepting the session.';
    case 'gone': return 'The bridge no longer has this session.';
    default: return info.message ? sentence(info.message) : 'The session ended.';
  }
}

/** Up to two initials for an avatar, from the words that have letters ("Dial-in +44 20…" → "D"). */
export function initials(name) {
  const words = String(name ?? '').trim().split(/\s+/).filter((word) => /\p{L}/u.test(word));
  const letters = words.map((word) => [...word].find((ch) => /\p{L}/u.test(ch)));
  const picked = letters.length > 1 ? [letters[0], letters[letters.length - 1]] : letters;
  return picked.join('').toUpperCase() || '#';
}

/** A stable hue (0–359) for a string, for avatar colours. */
export function hueOf(text) {
  let hash = 0;
  for (const ch of String(text)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 360;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
/** "14:05" */
export function timeText(date) {
  return clock.format(date);
}
