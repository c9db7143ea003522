// Compiled with `tsc --noEmit` by `npm test`: the public types must accept
// what the README shows.
import leakguard, { version, errorCodes } from 'leakguard';

const v: string = version;
const code: 'ERR_LEAKGUARD_UNBOUNDED' = errorCodes.UNBOUNDED;
const same: string = leakguard.version;
void [v, code, same];
