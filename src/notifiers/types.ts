/** The events humans hear about (DESIGN.md, "Expiry and alerts"). Never carries a secret. */
export interface RotationEvent {
  type: 'rotation-started' | 'rotation-succeeded' | 'rotation-failed' | 'needs-attention' | 'rotation-rolled-back' | 'rotation-aborted';
  policy: string;
  rotationId?: string | undefined;
  phase?: string | undefined;
  /** Stable error code, for failures. */
  code?: string | undefined;
  /** What happened and, for a person, what to do. */
  message: string;
  at: number;
}

export interface Notifier {
  /** Delivers an event. Must not throw for delivery problems the rotation should not care about. */
  notify(event: RotationEvent): Promise<void>;
}
