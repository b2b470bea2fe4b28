import Textfield from '@atlaskit/textfield';
import type { ReactNode } from 'react';
import { styles } from './styles';

// A labelled text field with its help text and its error, tied together for screen readers.

interface FieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  help?: ReactNode;
  error?: string;
  type?: 'text' | 'password' | 'number' | 'url' | 'search';
  placeholder?: string;
  width?: number;
  after?: ReactNode;
}

export function Field({ id, label, value, onChange, help, error, type = 'text', placeholder, width, after }: FieldProps) {
  const described = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div style={styles.field}>
      <label htmlFor={id} style={styles.label}>{label}</label>
      <div style={styles.row}>
        <div style={{ flex: 1, minWidth: width ?? 240, maxWidth: width }}>
          <Textfield
            id={id}
            name={id}
            type={type}
            value={value}
            placeholder={placeholder}
            isInvalid={!!error}
            aria-describedby={described}
            autoComplete="off"
            onChange={(e) => onChange(e.currentTarget.value)}
          />
        </div>
        {after}
      </div>
      {help && <div id={`${id}-help`} style={styles.help}>{help}</div>}
      {error && <div id={`${id}-error`} role="alert" style={styles.error}>{error}</div>}
    </div>
  );
}

/** The page's own field for a resolver error that names one, or undefined. */
export function fieldError(error: { field?: string; message: string } | undefined, field: string): string | undefined {
  return error?.field === field ? error.message.replace(new RegExp(`^${field}: `), '') : undefined;
}
