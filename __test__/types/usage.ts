// Compiled with `tsc --noEmit` by `npm test`: the public types must accept
// what the README shows.
import leakguard, { version, errorCodes } from 'leakguard';

const v: string = version;
const code: 'ERR_LEAKGUARD_UNBOUNDED' = errorCodes.UNBOUNDED;
const same: string = leakguard.version;
const clockCode: 'ERR_LEAKGUARD_INVALID_CLOCK' = errorCodes.INVALID_CLOCK;
void [v, code, same, clockCode];
