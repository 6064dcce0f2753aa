import { useEffect, useRef } from 'react';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  /** Optional text input (e.g. the replay position). */
  input?: { label: string; initial: string; placeholder?: string };
  onConfirm(value: string): Promise<void> | void;
}

/** A modal asking before any state change. */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!request) return;
    (inputRef.current ?? confirmRef.current)?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [request, onClose]);
  if (!request) return null;
  const confirm = () => {
    const value = inputRef.current?.value ?? '';
    onClose();
    void request.onConfirm(value);
  };
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        onClick={(e) => e.stopPropagation()}
      >
        <h3 id="confirm-title">{request.title}</h3>
        <p>{request.message}</p>
        {request.input && (
          <label className="field">
            <span>{request.input.label}</span>
            <input
              ref={inputRef}
              defaultValue={request.input.initial}
              placeholder={request.input.placeholder}
              onKeyDown={(e) => e.key === 'Enter' && confirm()}
            />
          </label>
        )}
        <div className="modal-actions">
          <button className="button" onClick={onClose}>
            Cancel
          </button>
          <button ref={confirmRef} className={`button ${request.danger ? 'danger' : 'primary'}`} onClick={confirm}>
            {request.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
