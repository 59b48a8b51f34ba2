import type { FlightdeckContext } from '../context';

/** A command: takes the context and its argument (an object from code, a clicked node, or nothing). */
export type CommandHandler = (ctx: FlightdeckContext, arg: unknown) => Promise<unknown>;
