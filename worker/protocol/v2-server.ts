/**
 * What the v2 server metadata says of this server, shared by the route and the OpenAPI document.
 */

/** The protocol extensions implemented, as Triton names them in its server metadata. */
export const V2_EXTENSIONS = ['binary_tensor_data', 'classification'] as const;

/** The server's name in the v2 server metadata. */
export const V2_SERVER_NAME = 'fashion-mnist-edge';
