// The HTML 404 pages a Data Center instance answers outside its REST API. A client pointed at the wrong
// base URL (a context path too many or too few) gets one of these instead of JSON, which is what a
// bridge's "is this really Bitbucket?" check has to recognise.
import type { HttpResult } from './types';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Outside the web application (no context matches): the servlet container's own page. */
export function containerNotFound(path: string): HttpResult {
  return {
    status: 404,
    headers: { 'Content-Type': 'text/html;charset=utf-8', 'Content-Language': 'en' },
    text: [
      '<!doctype html><html lang="en"><head><title>HTTP Status 404 – Not Found</title>',
      '<style type="text/css">body {font-family:Tahoma,Arial,sans-serif;} h1 {font-size:22px;}</style></head>',
      '<body><h1>HTTP Status 404 – Not Found</h1><hr class="line" /><p><b>Type</b> Status Report</p>',
      `<p><b>Message</b> ${escape(path)}</p><p><b>Description</b> The origin server did not find a current representation for the target resource or is not willing to disclose that one exists.</p>`,
      '<hr class="line" /><h3>Apache Tomcat</h3></body></html>',
    ].join(''),
  };
}

/** Inside the application but not a page it has: Bitbucket's own "Page not found". */
export function bitbucketNotFound(base: string): HttpResult {
  return {
    status: 404,
    headers: { 'Content-Type': 'text/html;charset=UTF-8' },
    text: [
      '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Page not found - Bitbucket</title></head>',
      '<body class="aui-page-focused aui-page-size-medium"><div id="page"><section id="content" role="main">',
      '<h2>Page not found</h2><p>The page you were looking for may have been moved or deleted.</p>',
      `<p><a href="${escape(base)}/dashboard">Go to the dashboard</a></p></section></div></body></html>`,
    ].join(''),
  };
}
