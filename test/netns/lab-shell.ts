// The mail lab by hand (docs/lab.md): builds a lab, starts the node daemons, waits until
// the group serves, prints how to reach every namespace, and keeps it up until Ctrl-C
// (or --minutes), then removes everything.
//   node --import tsx test/netns/lab-shell.ts [--nodes 2-4] [--arbiter disk|etcd] [--services supervised|separate] [--minutes N]
import { parseArgs } from 'node:util';
import { createMailLab, mailLabSkipReason, CLIENT_IP, USER, VIP, type ArbiterKind } from './mail-lab.ts';

const { values } = parseArgs({ options: {
  nodes: { type: 'string', default: '3' },
  arbiter: { type: 'string', default: 'disk' },
  services: { type: 'string', default: 'supervised' },
  minutes: { type: 'string', default: '60' },
} });
const arbiter = values.arbiter as ArbiterKind;
if (arbiter !== 'disk' && arbiter !== 'etcd') throw new Error('--arbiter is disk or etcd');
if (values.services !== 'supervised' && values.services !== 'separate') throw new Error('--services is supervised or separate');
const skip = mailLabSkipReason(arbiter);
if (skip) {
  process.stderr.write(`${skip}\n`);
  process.exit(2);
}

const lab = await createMailLab({ nodes: Number(values.nodes), arbiter, services: values.services });
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('removing the lab...\n');
  await lab.destroy();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
try {
  await lab.startAll();
  const active = await lab.waitServing();
  const ns = (n: string): string => lab.lab.nodes[n]!.ns;
  process.stdout.write([
    `mail lab up: ${lab.nodeNames.join(', ')} (${arbiter} arbiter), the group runs on ${active}, VIP ${VIP}`,
    `  data volume:   ${lab.dataDir}`,
    `  cluster config: ${lab.configFile}`,
    `  node logs:     ${lab.dir}/logs/`,
    `  status:        ip netns exec ${ns('client')} npx tandem status --config ${lab.configFile} --node ${active}`,
    `  move:          ip netns exec ${ns('client')} npx tandem group move mail --to sv2 --config ${lab.configFile} --node sv2`,
    `  client shell:  ip netns exec ${ns('client')} bash   (address ${CLIENT_IP}; user ${USER.address}, password ${USER.password})`,
    `  send a mail:   ip netns exec ${ns('client')} swaks --server ${VIP} --to ${USER.address} --from someone@client.lab.test`,
    `  cut sv1:       ip -n ${lab.lab.id}-sw link set p-sv1 down   (heal: up)`,
    `Ctrl-C removes the lab (kills every process in it, deletes the namespaces and ${lab.dir}).`,
    '',
  ].join('\n'));
  await new Promise((r) => setTimeout(r, Number(values.minutes) * 60_000));
} finally {
  await stop();
}
