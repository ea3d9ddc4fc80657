// The console's markup (pure: status report and events in, escaped HTML out). The page is
// made of sections (summary, nodes, groups, events) that the live stream re-renders with
// the same functions, so the first page and its updates can never disagree.
import { html, trusted, type Html } from '../../lib/html.ts';
import type { ClusterEvent } from '../model/event.ts';

/** The fields of statusReport() (src/cluster/node/status-report.ts) the console shows. */
export interface StatusView {
  readonly cluster: string;
  readonly node: string;
  readonly configHash: string;
  readonly stopped: boolean;
  readonly summary: string;
  readonly nodes: readonly {
    readonly name: string; readonly self: boolean; readonly reachable: boolean; readonly configHashMatches: boolean;
    readonly stopped: boolean; readonly maintenance: boolean; readonly failingMonitors: readonly string[];
    readonly lastSeenAgoMs: number | null; readonly addresses: readonly string[];
    /** What differs from this node's configuration, when known (filled in by the console). */
    readonly differences?: string | null;
  }[];
  readonly groups: readonly GroupView[];
  readonly nodeMonitors: readonly { readonly name: string; readonly kind: string; readonly failing: boolean }[];
}

export interface GroupView {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly holder: string | null;
  readonly epoch: number;
  readonly request: 'none' | 'start' | 'stop';
  readonly moveTo: string | null;
  readonly suspended: readonly string[];
  readonly resources: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly failures: readonly { readonly node: string; readonly resource: string; readonly monitor: string | null; readonly agoMs: number }[];
  readonly lastResults: readonly { readonly action: { readonly kind: string; readonly resource?: string; readonly node?: string }; readonly exec: string; readonly rc: number; readonly reason: string; readonly agoMs: number }[];
  readonly monitors: readonly { readonly resource: string; readonly name: string; readonly kind: string; readonly failing: boolean; readonly suspended: boolean }[];
}

export type GroupPhase = 'online' | 'starting' | 'moving' | 'stopping' | 'failed' | 'offline' | 'stopped';

/** One word and one sentence for a group's state, from the lease and the resources. */
export function groupPhase(g: GroupView, resourceNames: readonly string[]): { phase: GroupPhase; text: string } {
  const on = (node: string) => resourceNames.map((r) => g.resources[node]?.[r] ?? 'unknown');
  const anyFailed = Object.values(g.resources).some((per) => Object.values(per).includes('failed'));
  if (g.holder === null) {
    const running = g.nodes.filter((n) => on(n).includes('running'));
    if (g.moveTo && g.request !== 'stop') return { phase: 'moving', text: `moving to ${g.moveTo}` };
    if (g.request === 'stop') return running.length > 0 ? { phase: 'stopping', text: `stopping on ${running.join(', ')}` } : { phase: 'stopped', text: 'stopped by the operator' };
    return anyFailed ? { phase: 'failed', text: 'offline, with failed resources' } : { phase: 'offline', text: running.length > 0 ? `offline (still running on ${running.join(', ')})` : 'offline' };
  }
  const states = on(g.holder);
  if (g.moveTo && g.moveTo !== g.holder) return { phase: 'moving', text: `moving from ${g.holder} to ${g.moveTo}` };
  if (g.request === 'stop') return { phase: 'stopping', text: `stopping on ${g.holder}` };
  if (states.every((s) => s === 'running')) return { phase: 'online', text: `online on ${g.holder}` };
  if (states.includes('failed')) return { phase: 'failed', text: `failed on ${g.holder}` };
  return { phase: 'starting', text: `starting on ${g.holder}` };
}

/** A probe that finds a resource stopped (rc 7) is an answer, not a failure. */
function isFailedResult(r: GroupView['lastResults'][number]): boolean {
  return r.exec !== 'done' || (r.action.kind === 'probe' ? r.rc !== 0 && r.rc !== 7 : r.rc !== 0);
}

/** A heartbeat's age, coarse: the nodes table changes only when it means something. */
function ago(ms: number | null): string {
  if (ms === null) return 'never';
  return ms < 1_000 ? 'under 1 s ago' : `${Math.floor(ms / 1000)} s ago`;
}

/**
 * When something happened, as UTC wall time to the second: unlike an age, it stays the same
 * from one render to the next, so the live stream does not replace a group's forms (and
 * swallow a click) every second.
 */
function at(agoMs: number, nowWall: number): string {
  return new Date(Math.floor((nowWall - agoMs) / 1000) * 1000).toISOString().slice(11, 19);
}

const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function renderSummary(s: StatusView): Html {
  return html`<p><strong>Last cycle:</strong> <span class="summary">${s.summary || '(none yet)'}</span></p>
    <p class="muted">Seen from ${s.node}; configuration ${s.configHash.slice(0, 12)}${s.stopped ? '; this node\'s cluster service is STOPPED' : ''}.</p>`;
}

export function renderNodes(s: StatusView): Html {
  const rows = s.nodes.map((n) => {
    const state = n.self ? 'this node' : n.reachable ? 'up' : 'DOWN';
    const flags = [n.stopped ? 'cluster service stopped' : '', n.maintenance ? 'maintenance' : '',
      n.failingMonitors.length > 0 ? `failing node monitors: ${n.failingMonitors.join(', ')}` : ''].filter(Boolean).join('; ');
    return html`<tr id="node-${n.name}" data-state="${n.reachable ? 'up' : 'down'}">
      <th scope="row">${n.name}</th>
      <td class="${n.reachable ? 'ok' : 'bad'}">${state}</td>
      <td>${n.self ? '' : ago(n.lastSeenAgoMs)}</td>
      <td class="${n.configHashMatches ? 'ok' : 'bad'}">${n.configHashMatches ? 'matches' : html`DIFFERS: may not run groups${n.differences ? html`<br><span class="diff">${n.differences}</span>` : ''}`}</td>
      <td>${flags || 'ok'}</td>
      <td>${n.addresses.join(', ')}</td>
    </tr>`;
  });
  const monitors = s.nodeMonitors.map((m) => html`<li>node monitor ${m.name} (${m.kind}): <span class="${m.failing ? 'bad' : 'ok'}">${m.failing ? 'FAILING' : 'ok'}</span></li>`);
  return html`<table>
    <caption>Nodes, as ${s.node} sees them</caption>
    <thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Last heartbeat</th><th scope="col">Configuration</th><th scope="col">Health</th><th scope="col">Addresses</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>${monitors.length > 0 ? html`<ul>${monitors}</ul>` : ''}`;
}

function groupForms(g: GroupView, csrf: string, reachable: ReadonlySet<string>): Html {
  const base = `/group/${encodeURIComponent(g.name)}`;
  const targets = g.nodes.filter((n) => n !== g.holder);
  // The empty choice is the seed's ARMFOVER: the next eligible node by priority.
  const options = [...targets.map((n) => html`<option value="${n}">${n}${reachable.has(n) ? '' : ' (down)'}</option>`),
    ...(g.holder !== null && targets.length > 1 ? [html`<option value="">next eligible by priority</option>`] : [])];
  return html`<div class="ops">
    <form method="post" action="${base}/start" class="op">${csrfField(csrf)}<button type="submit" aria-label="Start group ${g.name}">Start</button></form>
    <form method="post" action="${base}/stop" class="op">${csrfField(csrf)}<button type="submit" aria-label="Stop group ${g.name}">Stop</button></form>
    ${targets.length > 0 ? html`<form method="post" action="${base}/move" class="op">${csrfField(csrf)}
      <label>Move to <select name="to" id="move-to-${g.name}">${options}</select></label>
      <button type="submit" aria-label="Move group ${g.name}">Move</button></form>` : ''}
  </div>`;
}

function resourceRows(g: GroupView, resourceNames: readonly string[], csrf: string): Html[] {
  return resourceNames.map((r) => {
    const cells = g.nodes.map((n) => {
      const st = g.resources[n]?.[r] ?? 'unknown';
      return html`<td class="rs-${st}">${st}</td>`;
    });
    const monitors = g.monitors.filter((m) => m.resource === r).map((m) => {
      const holderState = g.holder ? g.resources[g.holder]?.[r] : undefined;
      const health = m.suspended ? 'suspended' : m.failing || holderState === 'failed' ? 'FAILING' : 'ok';
      return html`<li>${m.name} (${m.kind}): <span class="mon-${health === 'FAILING' ? 'failing' : health}">${health}</span></li>`;
    });
    const suspended = g.suspended.includes(r);
    const control = monitors.length === 0 ? '' : html`<form method="post" action="/monitor/${suspended ? 'resume' : 'suspend'}" class="op">${csrfField(csrf)}
      <input type="hidden" name="name" value="${r}"><button type="submit" aria-label="${suspended ? 'Resume' : 'Suspend'} the monitors of ${r}">${suspended ? 'Resume monitors' : 'Suspend monitors'}</button></form>`;
    return html`<tr id="res-${g.name}-${r}"><th scope="row">${r}</th>${cells}<td>${monitors.length > 0 ? html`<ul>${monitors}</ul>` : 'none'}</td><td>${control}</td></tr>`;
  });
}

export function renderGroup(g: GroupView, resourceNames: readonly string[], csrf: string, reachable: ReadonlySet<string>, nowWall: number): Html {
  const { phase, text } = groupPhase(g, resourceNames);
  const requests = [g.request !== 'none' ? `operator request: ${g.request}` : '', g.suspended.length > 0 ? `monitors suspended: ${g.suspended.join(', ')}` : ''].filter(Boolean).join('; ');
  const failures = g.failures.slice(-5).reverse().map((f) => html`<li>${f.resource} on ${f.node}${f.monitor ? ` (monitor ${f.monitor})` : ''}, at ${at(f.agoMs, nowWall)}</li>`);
  const failed = g.lastResults.filter(isFailedResult).slice(-3).reverse()
    .map((r) => html`<li>${r.action.kind} ${r.action.resource ?? ''}${r.action.node ? ` on ${r.action.node}` : ''}: ${r.exec}, rc ${r.rc}: ${r.reason} (at ${at(r.agoMs, nowWall)})</li>`);
  return html`<article class="group" id="group-${g.name}" data-phase="${phase}" data-holder="${g.holder ?? ''}" aria-labelledby="group-${g.name}-title">
    <h3 id="group-${g.name}-title">Group ${g.name}</h3>
    <p>State: <strong class="phase phase-${phase}">${text}</strong>; epoch ${g.epoch}; nodes by priority: ${g.nodes.join(' > ')}${requests ? html`; ${requests}` : ''}</p>
    ${groupForms(g, csrf, reachable)}
    <table>
      <caption>Resources of ${g.name} on each node</caption>
      <thead><tr><th scope="col">Resource</th>${g.nodes.map((n) => html`<th scope="col">${n}</th>`)}<th scope="col">Monitors</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${resourceRows(g, resourceNames, csrf)}</tbody>
    </table>
    ${failures.length > 0 ? html`<h4>Recent failures (UTC)</h4><ul>${failures}</ul>` : ''}
    ${failed.length > 0 ? html`<h4>Failed actions on this node (UTC)</h4><ul>${failed}</ul>` : ''}
  </article>`;
}

export function renderGroups(s: StatusView, resourcesOf: (group: string) => readonly string[], csrf: string, nowWall: number): Html {
  if (s.groups.length === 0) return html`<p>No groups in the configuration.</p>`;
  const reachable = new Set(s.nodes.filter((n) => n.reachable).map((n) => n.name));
  return html`${s.groups.map((g) => renderGroup(g, resourcesOf(g.name), csrf, reachable, nowWall))}`;
}

/** Newest first. `plan` events carry the policy's reasons for what it does. */
export function renderEvents(events: readonly ClusterEvent[]): Html {
  const rows = [...events].reverse().map((e) => html`<tr class="lvl-${e.level}">
    <td class="when"><time datetime="${e.at}" title="${e.at}">${e.at.slice(11, 23)}</time></td>
    <td>${e.level}</td><td>${e.kind}</td><td>${e.group ?? ''}</td><td>${e.message}</td></tr>`);
  return html`<table>
    <caption>The newest events of ${events[0]?.node ?? 'this node'}'s log (reasons of the policy's plans included)</caption>
    <thead><tr><th scope="col">Time (UTC; the date in the tooltip)</th><th scope="col">Level</th><th scope="col">Kind</th><th scope="col">Group</th><th scope="col">Message</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>`;
}

export interface Sections { readonly summary: string; readonly nodes: string; readonly groups: string; readonly events: string }

export function renderSections(s: StatusView, events: readonly ClusterEvent[], resourcesOf: (group: string) => readonly string[], csrf: string, nowWall: number): Sections {
  return {
    summary: renderSummary(s).value,
    nodes: renderNodes(s).value,
    groups: renderGroups(s, resourcesOf, csrf, nowWall).value,
    events: renderEvents(events).value,
  };
}

/** A whole page around `body` (no inline script or style: the CSP forbids them); the script only on the console itself. */
export function page(title: string, body: Html, script = false): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/assets/console.css">${script ? html`<script type="module" src="/assets/console.js"></script>` : ''}</head>
<body>${body}</body></html>`;
}

export function consolePage(s: StatusView, sections: Sections, user: string, csrf: string, flash: { ok: boolean; text: string } | null): Html {
  // The sections were rendered (and escaped) by the functions above.
  const raw = trusted;
  return page(`Cluster ${s.cluster} - Tandem console (${s.node})`, html`
<header><p class="brand">Tandem cluster console: <strong>${s.cluster}</strong>, on node <strong>${s.node}</strong></p>
  <form method="post" action="/logout" class="logout">${csrfField(csrf)}<span>${user}</span> <button type="submit">Log out</button></form></header>
<main>
  <p id="flash" role="status" aria-live="polite" class="${flash ? (flash.ok ? 'flash ok' : 'flash bad') : 'flash'}">${flash?.text ?? ''}</p>
  <p id="live" class="muted" aria-live="off">Live updates: <span id="live-state">connecting</span></p>
  <section aria-labelledby="h-summary"><h2 id="h-summary">Cluster</h2><div id="summary">${raw(sections.summary)}</div></section>
  <section aria-labelledby="h-nodes"><h2 id="h-nodes">Nodes</h2><div id="nodes">${raw(sections.nodes)}</div></section>
  <section aria-labelledby="h-groups"><h2 id="h-groups">Groups</h2><div id="groups">${raw(sections.groups)}</div></section>
  <section aria-labelledby="h-events"><h2 id="h-events">Events</h2><div id="events">${raw(sections.events)}</div></section>
</main>`, true);
}

export function loginPage(token: string, user: string, error: string | null, where: string): Html {
  return page(`Log in - Tandem console (${where})`, html`
<main class="login">
  <h1>Tandem cluster console</h1>
  <p class="muted">Node ${where}</p>
  ${error ? html`<p class="flash bad" role="alert">${error}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="_login" value="${token}">
    <p><label for="user">User</label> <input id="user" name="user" value="${user}" autocomplete="username" required autofocus></p>
    <p><label for="password">Password</label> <input id="password" type="password" name="password" autocomplete="current-password" required></p>
    <p><button type="submit">Log in</button></p>
  </form>
</main>`);
}

export function errorPage(status: number, message: string): Html {
  return page(`Error ${status} - Tandem console`, html`<main><h1>Error ${status}</h1><p role="alert">${message}</p><p><a href="/">Back to the console</a></p></main>`);
}
