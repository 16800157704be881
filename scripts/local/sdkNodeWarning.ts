/**
 * The AWS SDK tells Node < 22 that its releases after January 2027 need Node 22: a notice for whoever moves
 * Keepsake's runtime, not for a person starting local mode, which would otherwise see it first and alone for
 * seconds. Silenced the way the SDK documents (aws/aws-sdk-js-v3#7983), for this process and the runners it starts
 * only; set the variable to anything but `true` to see it again. Imported first: the SDK reads it when the first
 * client is made.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
