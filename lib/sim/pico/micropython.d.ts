/** The parts of the MicroPython WebAssembly package (ESM, no bundled types) that the virtual Pico W uses. */
declare module '@micropython/micropython-webassembly-pyscript' {
  export interface LoadMicroPythonOptions {
    readonly heapsize?: number;
    readonly pystack?: number;
    readonly stdout?: (line: string) => void;
    readonly stderr?: (line: string) => void;
    readonly linebuffer?: boolean;
  }
  export function loadMicroPython(options?: LoadMicroPythonOptions): Promise<unknown>;
}
