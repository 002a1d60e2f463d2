/**
 * The no-op Worker the HTTP and cold-start benchmarks compare against: it reads the request body
 * (as the classifier must) and answers a small JSON document, and does nothing else. What the
 * classifier costs beyond it is the cost of the classifier.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const body = await request.arrayBuffer();
    return Response.json({ ok: true, bytes: body.byteLength });
  },
};
