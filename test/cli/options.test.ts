import { runCli } from '../../lib/cli';
import { CliError } from '../../lib/cli/cli-error';
import { parsePort } from '../../lib/cli/options';
import { UserError } from '../../lib/user-error';

describe('parsePort', () => {
  test('takes a port number as it is', () => {
    expect(parsePort('8883', '--mqtt-port')).toBe(8883);
    expect(parsePort('65535', '--port')).toBe(65_535);
    expect(parsePort('0', '--port', 0)).toBe(0);
  });

  test.each(['0', '65536', '-1', '8883.5', '', ' 8883', '1e3', '0x20', 'abc'])('refuses %j, naming the option and the range', (value) => {
    expect(() => parsePort(value, '--mqtt-port')).toThrow(new CliError(`--mqtt-port must be a port number (1–65535), not '${value}'`));
  });

  test('where 0 picks a free port, says so in the range', () => {
    expect(() => parsePort('70000', '--port', 0)).toThrow("--port must be a port number (0–65535), not '70000'");
  });
});

describe('user errors', () => {
  test('a CliError is a UserError, named for its class', () => {
    const error = new CliError('no car');
    expect(error).toBeInstanceOf(UserError);
    expect(error.name).toBe('CliError');
  });

  test('runCli prints a bad option value of any command as one line and exits 1', async () => {
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runCli(['sim', '--mqtt-port', '99999'])).toBe(1);
      expect(stderr.mock.calls).toEqual([["✗ --mqtt-port must be a port number (0–65535), not '99999'"]]);
    } finally {
      stderr.mockRestore();
    }
  });
});
