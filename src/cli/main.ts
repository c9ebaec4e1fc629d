import { CliError, EXIT, type CliIo } from './io';

type Run = (argv: string[], io: CliIo) => Promise<number>;
// Loaded on use: check-config pulls in every connector (and their SDKs), the others need none of it.
const COMMANDS: Record<string, { run: Run; about: string }> = {
  doctor: {
    run: async (a, io) => (await import('./doctor-command')).doctorCommand(a, io),
    about: 'check a postback URL: doctor <url> [--kind inbound|outbound|pixel] [--live]',
  },
  test: { run: async (a, io) => (await import('./test-command')).testCommand(a, io), about: 'send a test conversion: test <destination>' },
  replay: {
    run: async (a, io) => (await import('./replay-command')).replayCommand(a, io),
    about: 'replay dead deliveries: replay --dead [--destination D] [--since T]',
  },
  urls: {
    run: async (a, io) => (await import('./urls-command')).urlsCommand(a, io),
    about: 'print the postback URL per source and the click URL per link: urls [--reveal]',
  },
  'check-config': {
    run: async (a, io) => (await import('./check-config-command')).checkConfigCommand(a, io),
    about: 'validate a config file locally: check-config [file]',
  },
};

const HELP = [
  'usage: closeloop <command> [options]',
  '',
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(13)} ${c.about}`),
  '',
  'Every command but check-config talks to a running gateway: --url (default $CLOSELOOP_URL or http://127.0.0.1:8080),',
  'token from $CLOSELOOP_ADMIN_TOKEN. --json prints the answer as JSON. Exit codes: 0 ok, 1 problems found,',
  '2 wrong usage, 3 gateway unreachable or refused.',
  '',
].join('\n');

/** The `closeloop` CLI (issue 8 §3): one file per command; this only dispatches. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`closeloop: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`closeloop ${name}: ${err.message}\n`);
      return err.code;
    }
    throw err;
  }
}
