// Which repository ship builds into when the manifests name images: it must never take the image
// of a sidecar or an init container for the app's.
import { describe, expect, it } from 'vitest';
import { imageNameFor } from '../../src/core/tag.js';

describe('imageNameFor with several images in the manifests', () => {
  it('takes the one named like the project, wherever it stands and whatever its registry or tag', () => {
    expect(imageNameFor({ manifestImages: ['ship.local/busybox:1', 'registry.example/team/gradle-app:3', 'redis:7'], rootProjectName: 'gradle-app', dirName: 'x' })).toBe(
      'registry.example/team/gradle-app',
    );
    expect(imageNameFor({ manifestImages: ['busybox', 'docker.io/library/demo:1'], artifactId: 'demo', dirName: 'x' })).toBe('demo');
  });

  it('none named like the project: the project name, not the first image (an init container or sidecar)', () => {
    expect(imageNameFor({ manifestImages: ['ship.local/busybox:1', 'registry.invalid/team/web:2.1'], rootProjectName: 'gradle-app', dirName: 'x' })).toBe('gradle-app');
    expect(imageNameFor({ manifestImages: ['a:1', 'b:2'], dirName: 'My App' })).toBe('my-app');
  });

  it('the only image the manifests use is the app\'s, whatever it is called (the same image twice counts once)', () => {
    expect(imageNameFor({ manifestImages: ['docker.io/library/kubernetes-spring:1'], rootProjectName: 'x', dirName: 'y' })).toBe('kubernetes-spring');
    expect(imageNameFor({ manifestImages: ['kubernetes-spring', 'docker.io/library/kubernetes-spring:2'], rootProjectName: 'x', dirName: 'y' })).toBe('kubernetes-spring');
  });
});
