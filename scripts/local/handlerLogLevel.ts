/**
 * Local mode prints its own progress, which the handlers' JSON lines would drown: they log warnings and errors
 * only, unless LOG_LEVEL says otherwise (LOG_LEVEL=info shows them). keepsake.ts imports this module first
 * because the handlers' logger reads LOG_LEVEL once, when it loads, and keepsake.ts's own imports load it
 * (httpApi.ts uses the API's error mapping).
 */
process.env.LOG_LEVEL ??= 'warn';
