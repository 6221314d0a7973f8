import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI 3 document at /docs-json and Swagger UI at /docs. */
export function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tandem governed profile API')
      .setDescription(
        'Unified customer profiles for marketing automation, and the controls of IT and the data office. ' +
          'Authenticate with OAuth2 client credentials (POST /oauth/token), then send `Authorization: Bearer <token>`. ' +
          'Every read of personal data names a purpose; policies decide the fields, consent decides the contact points, and every read is audited. ' +
          'Errors always have the shape {statusCode, error, message, correlationId}.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addOAuth2({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { marketing: 'marketing', 'it-operator': 'IT operator', 'data-office': 'data office', admin: 'admin' } } } })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
