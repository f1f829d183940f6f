// How the sandbox service reaches the pod's containers without knowing the container service:
// StopPodSandbox must stop every container of the pod, RemovePodSandbox must remove them.
// The container service implements this; until it exists the composition root passes the no-op.

export interface SandboxContainers {
  /** Stops (force if need be) every container of the sandbox; done when none runs. */
  stopAll(sandboxId: string, signal: AbortSignal): Promise<void>;
  /** Removes every container of the sandbox; called after stopAll. */
  removeAll(sandboxId: string, signal: AbortSignal): Promise<void>;
}

export const noSandboxContainers: SandboxContainers = {
  stopAll: () => Promise.resolve(),
  removeAll: () => Promise.resolve(),
};
