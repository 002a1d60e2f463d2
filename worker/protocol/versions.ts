/**
 * Versioned model paths of both protocols (`/v1/models/{name}/versions/{v}`, `/labels/{l}`,
 * `/v2/models/{name}/versions/{v}`). Each bundled model is served in the one version its asset
 * carries, the version the status and metadata answers advertise; asking for another is a 404 that
 * names the versions there are, so a client pinned to a version learns what to ask for instead.
 */
import { notFound } from '../http/problem.ts';
import type { ServedModel } from '../inference/models.ts';

/** TF Serving version labels and the version each stands for: `latest` is the newest served. */
export const VERSION_LABELS = ['latest'] as const;

/** The versions of `model` that can be asked for: the one it is served in. */
export const versionsOf = (model: ServedModel): string[] => [model.version];

/** `model` if `version` is undefined (unversioned path) or one of its versions; 404 otherwise. */
export function requireVersion(model: ServedModel, version: string | undefined): ServedModel {
  if (version === undefined || versionsOf(model).includes(version)) return model;
  throw notFound(
    `model "${model.name}" has no version ${JSON.stringify(version)}; versions: ${versionsOf(model).join(', ')}`,
  );
}

/** `model` if `label` is one of VERSION_LABELS; 404 naming the labels otherwise. */
export function requireLabel(model: ServedModel, label: string): ServedModel {
  if ((VERSION_LABELS as readonly string[]).includes(label)) return model;
  throw notFound(
    `model "${model.name}" has no version label ${JSON.stringify(label)}; labels: ${VERSION_LABELS.join(', ')} (versions: ${versionsOf(model).join(', ')})`,
  );
}
