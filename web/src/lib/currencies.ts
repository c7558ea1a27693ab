// The currencies the bank keeps accounts in (the contract's Currency schema).
export const bankCurrencies = ['USD', 'EUR', 'COP', 'JPY'] as const;
